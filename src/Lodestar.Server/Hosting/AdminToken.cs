using System.Security.Cryptography;
using System.Text;
using Lodestar.Core.Apps;
using Microsoft.Extensions.Options;

namespace Lodestar.Server.Hosting;

/// <summary>The management API's bearer token: from configuration, else generated once and kept in the state store.</summary>
public sealed partial class AdminToken
{
    private const string SettingName = "admin_token";
    private readonly byte[] _token;

    public AdminToken(IOptions<LodestarOptions> options, IAppStore apps, ILogger<AdminToken> logger)
    {
        string? token = options.Value.AdminToken;
        if (string.IsNullOrWhiteSpace(token))
        {
            token = apps.GetSetting(SettingName);
            if (token is null)
            {
                token = KeyGenerator.New("adm_", 40);
                apps.SetSetting(SettingName, token);
                // Printed once, at the first start; later starts read it from the store silently.
                Console.WriteLine($"Lodestar admin token (shown once; set Lodestar__AdminToken to choose your own): {token}");
                LogGenerated(logger);
            }
        }

        _token = Encoding.UTF8.GetBytes(token);
    }

    public bool Matches(string candidate) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), _token);

    [LoggerMessage(3001, LogLevel.Warning, "Generated a new admin token and stored it in the state store")]
    private static partial void LogGenerated(ILogger logger);
}
