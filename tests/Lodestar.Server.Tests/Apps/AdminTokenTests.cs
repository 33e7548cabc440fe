using System.Net;
using System.Net.Http.Headers;
using Lodestar.Core.Apps;
using Lodestar.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lodestar.Server.Tests.Apps;

public sealed class AdminTokenTests
{
    [Fact]
    public async Task WithoutConfiguredToken_OneIsGeneratedStoredAndKeptAcrossRestarts()
    {
        string dataDir = LodestarFactory.NewDataDir();
        string token;
        using (var first = new LodestarFactory(dataDir, new Dictionary<string, string?> { ["Lodestar:AdminToken"] = "" }))
        {
            using var client = first.CreateClient();
            token = first.Services.GetRequiredService<IAppStore>().GetSetting("admin_token")!;
            Assert.StartsWith("adm_", token);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/apps")).StatusCode);
        }

        using var second = new LodestarFactory(dataDir, new Dictionary<string, string?> { ["Lodestar:AdminToken"] = "" });
        using var again = second.CreateClient();
        again.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/api/v1/apps")).StatusCode);
        Assert.Equal(token, second.Services.GetRequiredService<IAppStore>().GetSetting("admin_token"));
    }
}
