using System.Reflection;
using CharacterHub.Modules.Characters;
using CharacterHub.Modules.Interaction;
using CharacterHub.Modules.Marketplace;
using CharacterHub.Modules.Memory;
using NetArchTest.Rules;

namespace CharacterHub.Tests.Architecture;

/// <summary>Modules talk to each other only through CharacterHub.Kernel's contracts: never by referencing each other.</summary>
public sealed class ModuleBoundaryTests
{
    private static readonly Assembly[] Modules =
    [
        typeof(CharactersModule).Assembly, typeof(InteractionModule).Assembly,
        typeof(MemoryModule).Assembly, typeof(MarketplaceModule).Assembly,
    ];

    private static IEnumerable<TestCaseData> ModuleCases() =>
        Modules.Select(m => new TestCaseData(m).SetArgDisplayNames(m.GetName().Name!));

    [TestCaseSource(nameof(ModuleCases))]
    public void Module_ReferencesNoOtherModuleAssembly_NorTheHost(Assembly module)
    {
        var references = module.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        var forbidden = Modules.Where(m => m != module).Select(m => m.GetName().Name!).Append("CharacterHub.Web");
        Assert.That(references.Intersect(forbidden), Is.Empty);
        Assert.That(references, Does.Contain("CharacterHub.Kernel"));
    }

    [TestCaseSource(nameof(ModuleCases))]
    public void ModuleTypes_DependOnNoOtherModuleNamespace(Assembly module)
    {
        var own = module.GetName().Name!;
        var others = Modules.Select(m => m.GetName().Name!).Where(n => n != own).Append("CharacterHub.Web").ToArray();
        var result = Types.InAssembly(module).ShouldNot().HaveDependencyOnAny(others).GetResult();
        Assert.That(result.IsSuccessful, Is.True, "offending types: " + string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Test]
    public void Kernel_DependsOnNoModuleAndNotOnTheHost()
    {
        var result = Types.InAssembly(typeof(CharacterHub.Kernel.Modules.IModule).Assembly).ShouldNot()
            .HaveDependencyOnAny([.. Modules.Select(m => m.GetName().Name!), "CharacterHub.Web"]).GetResult();
        Assert.That(result.IsSuccessful, Is.True, "offending types: " + string.Join(", ", result.FailingTypeNames ?? []));
    }

    [TestCaseSource(nameof(ModuleCases))]
    public void ModuleSlices_AreInternal_OnlyTheModuleClassIsPublic(Assembly module)
    {
        var publicTypes = module.GetExportedTypes().Where(t => !t.Namespace!.Contains(".Contracts", StringComparison.Ordinal)
            && !t.Name.StartsWith("Areas_", StringComparison.Ordinal)) // Razor's generated page classes
            .Select(t => t.Name).ToList();
        Assert.That(publicTypes, Is.EqualTo(new[] { module.GetName().Name!.Split('.').Last() + "Module" }));
    }
}
