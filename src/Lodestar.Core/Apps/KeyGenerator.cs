using System.Security.Cryptography;

namespace Lodestar.Core.Apps;

/// <summary>Random ids and secrets, URL-safe, from the OS's cryptographic generator.</summary>
public static class KeyGenerator
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    public static string New(string prefix, int length = 32) =>
        prefix + RandomNumberGenerator.GetString(Alphabet, length);

    public static AppKeys NewKeys() => new(New("prod_"), New("dev_"), New("exp_"), New("wk_"));
}
