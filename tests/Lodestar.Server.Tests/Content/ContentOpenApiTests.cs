using System.Text.Json.Nodes;
using Lodestar.Server.Tests.Infrastructure;

namespace Lodestar.Server.Tests.Content;

public sealed class ContentOpenApiTests
{
    [Fact]
    public async Task OpenApiDocument_DescribesVariablesAbTestsAndInbox()
    {
        using var factory = new LodestarFactory();
        using var client = factory.CreateClient();
        var paths = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!["paths"]!.AsObject();
        var expected = new Dictionary<string, string[]>
        {
            ["/api/v1/apps/{appId}/variables"] = ["get", "put"],
            ["/api/v1/apps/{appId}/ab-tests"] = ["get", "post"],
            ["/api/v1/apps/{appId}/ab-tests/{testId}"] = ["get", "put"],
            ["/api/v1/apps/{appId}/ab-tests/{testId}/pause"] = ["post"],
            ["/api/v1/apps/{appId}/ab-tests/{testId}/resume"] = ["post"],
            ["/api/v1/apps/{appId}/ab-tests/{testId}/finish"] = ["post"],
            ["/api/v1/apps/{appId}/inbox"] = ["post"],
        };
        foreach (var (path, methods) in expected)
        {
            var item = paths[path] ?? paths[path + "/"];
            Assert.True(item is not null, $"{path} is not in the document: {string.Join(", ", paths.Select(p => p.Key))}");
            foreach (string method in methods)
            {
                var operation = item![method];
                Assert.True(operation is not null, $"{method} {path}");
                Assert.False(string.IsNullOrEmpty(operation!["operationId"]?.GetValue<string>()), $"{method} {path} has no name");
                Assert.False(string.IsNullOrEmpty(operation["summary"]?.GetValue<string>()), $"{method} {path} has no summary");
            }
        }
    }
}
