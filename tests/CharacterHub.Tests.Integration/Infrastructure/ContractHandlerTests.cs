using CharacterHub.Kernel.Modules;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace CharacterHub.Tests.Integration.Infrastructure;

/// <summary>The mediator is source-generated for the assemblies it is told about: a contract whose assembly or
/// handler is missing would only fail when first sent. This resolves a handler for every contract up front.</summary>
public sealed class ContractHandlerTests : IntegrationTest
{
    [Test]
    public void EveryKernelContract_HasAHandlerRegistered()
    {
        var contracts = typeof(IModule).Assembly.GetTypes()
            .Where(t => t.Namespace?.StartsWith("CharacterHub.Kernel.Contracts", StringComparison.Ordinal) == true && !t.IsAbstract)
            .SelectMany(t => t.GetInterfaces().Where(i => i.IsGenericType).Select(i => (Message: t, Contract: i)))
            .Where(x => x.Contract.GetGenericTypeDefinition() == typeof(IQuery<>) || x.Contract.GetGenericTypeDefinition() == typeof(ICommand<>))
            .ToList();
        Assert.That(contracts, Is.Not.Empty);
        using var scope = App.Services.CreateScope();
        foreach (var (message, contract) in contracts)
        {
            var handlerType = (contract.GetGenericTypeDefinition() == typeof(IQuery<>) ? typeof(IQueryHandler<,>) : typeof(ICommandHandler<,>))
                .MakeGenericType(message, contract.GetGenericArguments()[0]);
            Assert.That(scope.ServiceProvider.GetService(handlerType), Is.Not.Null, $"no handler for {message.Name}");
        }
    }
}
