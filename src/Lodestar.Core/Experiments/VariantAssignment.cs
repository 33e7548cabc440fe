using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Lodestar.Core.Experiments;

/// <summary>
/// Deterministic assignment of a person to an arm of a test (A/B tests on variables, variants of a message, journey
/// step tests). The draw depends only on the test's seed and the person's canonical id, so it is the same on every
/// device and in every session, and tests with different seeds are independent of each other.
/// </summary>
public static class VariantAssignment
{
    /// <summary>A uniform draw in [0, 1): the first 8 bytes of SHA-256(<paramref name="seed"/> ":" <paramref name="personId"/>), big-endian, over 2^64.</summary>
    public static double Unit(string seed, string personId)
    {
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentNullException.ThrowIfNull(personId);
        int length = Encoding.UTF8.GetMaxByteCount(seed.Length + personId.Length + 1);
        byte[]? rented = length > 512 ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> buffer = rented ?? stackalloc byte[length];
        try
        {
            int written = Encoding.UTF8.GetBytes(seed, buffer);
            buffer[written++] = (byte)':';
            written += Encoding.UTF8.GetBytes(personId, buffer[written..]);
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(buffer[..written], hash);
            // 53 significant bits: every value is exactly representable and strictly below 1.
            return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Whether the person falls inside the test's traffic share (0–100 percent), drawn independently of the arm.</summary>
    public static bool InTraffic(string seed, string personId, double trafficPercent) =>
        trafficPercent >= 100 || (trafficPercent > 0 && Unit(seed + ":traffic", personId) * 100 < trafficPercent);

    /// <summary>
    /// The index of the arm the person lands in, given the arms' non-negative weights (any scale; percentages that sum
    /// to 100 are typical). Arm i owns the interval [w0+…+w(i-1), w0+…+wi) of the total.
    /// </summary>
    public static int Pick(string seed, string personId, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        double total = 0;
        foreach (double w in weights)
        {
            if (!(w >= 0) || double.IsInfinity(w)) throw new ArgumentException("Weights must be finite and not negative.", nameof(weights));
            total += w;
        }

        if (total <= 0) throw new ArgumentException("At least one weight must be positive.", nameof(weights));
        double point = Unit(seed, personId) * total;
        double upper = 0;
        int last = 0;
        for (int i = 0; i < weights.Count; i++)
        {
            if (weights[i] <= 0) continue;
            upper += weights[i];
            last = i;
            if (point < upper) return i;
        }

        return last;
    }
}
