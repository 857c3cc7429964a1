using System.Data;
using System.Text.Json;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace CharacterHub.Kernel.Data;

public static class DapperSetup
{
    private static int configured;

    /// <summary>Process-wide Dapper settings; idempotent.</summary>
    public static void Configure()
    {
        if (Interlocked.Exchange(ref configured, 1) == 1) return;
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        // Npgsql reads timestamptz as a UTC DateTime; our records speak DateTimeOffset.
        SqlMapper.AddTypeHandler(new DateTimeOffsetHandler());
        // Npgsql reports text[] columns as System.Array, which Dapper's record constructor matching refuses.
        SqlMapper.AddTypeHandler(new StringArrayHandler());
    }

    private sealed class StringArrayHandler : SqlMapper.TypeHandler<string[]>
    {
        public override void SetValue(IDbDataParameter parameter, string[]? value)
        {
            parameter.Value = (object?)value ?? DBNull.Value;
            if (parameter is NpgsqlParameter p) p.NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text;
        }

        public override string[] Parse(object value) => value as string[] ?? [];
    }

    private sealed class DateTimeOffsetHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override void SetValue(IDbDataParameter parameter, DateTimeOffset value) => parameter.Value = value.ToUniversalTime();

        public override DateTimeOffset Parse(object value) => value switch
        {
            DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
            DateTimeOffset o => o,
            _ => throw new InvalidCastException($"Cannot read {value.GetType()} as DateTimeOffset."),
        };
    }

    /// <summary>Registers <typeparamref name="T"/> as stored in a jsonb column.</summary>
    public static void AddJsonb<T>() => SqlMapper.AddTypeHandler(new JsonbHandler<T>());

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private sealed class JsonbHandler<T> : SqlMapper.TypeHandler<T>
    {
        public override void SetValue(IDbDataParameter parameter, T? value)
        {
            parameter.Value = value is null ? DBNull.Value : JsonSerializer.Serialize(value, JsonOptions);
            if (parameter is NpgsqlParameter p) p.NpgsqlDbType = NpgsqlDbType.Jsonb;
        }

        public override T? Parse(object value) => value switch
        {
            string s => JsonSerializer.Deserialize<T>(s, JsonOptions),
            _ => JsonSerializer.Deserialize<T>(value.ToString()!, JsonOptions),
        };
    }
}
