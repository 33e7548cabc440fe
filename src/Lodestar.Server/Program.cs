using Lodestar.Server.Hosting;

await LodestarHost.Build(args).RunAsync();

/// <summary>The server's entry point (public for the integration tests' host factory).</summary>
public partial class Program;
