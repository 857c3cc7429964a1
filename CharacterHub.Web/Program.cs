using CharacterHub.Web.App;

// Everything lives in CharacterHubApp so that the tests build exactly the same host.
return await CharacterHubApp.RunAsync(args);

public partial class Program;
