using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace CharacterHub.Web.Infrastructure.Database;

/// <summary>
/// Keeps the Data Protection key ring in PostgreSQL, so that every web process decrypts the others' cookies and
/// antiforgery tokens, and secrets encrypted at rest survive restarts.
/// </summary>
public sealed class PostgresXmlRepository(NpgsqlDataSource dataSource) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = dataSource.OpenConnection();
        return connection.Query<string>("select xml from accounts.data_protection_keys order by id")
            .Select(XElement.Parse)
            .ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = dataSource.OpenConnection();
        connection.Execute(
            """
            insert into accounts.data_protection_keys (friendly_name, xml) values (@friendlyName, @xml)
            on conflict (friendly_name) do nothing
            """,
            new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
    }
}
