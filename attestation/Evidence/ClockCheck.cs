using KcryptPush.Tpm.Structures;

namespace KcryptPush.Attestation.Evidence;

/// <summary>
/// Clock, resetCount and restartCount never go backwards (TPM 2.0 Part 1 §36.4–36.6). One spec
/// exception: after a reset that followed a disorderly shutdown, Clock restarts from its last NV
/// copy and may be lower; the TPM then reports safe = NO.
/// </summary>
public static class ClockCheck
{
    /// <summary>Why <paramref name="c"/> is not acceptable after <paramref name="floor"/>, or null.</summary>
    public static string? Problem(TpmsClockInfo? floor, TpmsClockInfo c)
    {
        if (floor is not { } f)
        {
            return null;
        }

        if (c.ResetCount < f.ResetCount)
        {
            return $"resetCount went backwards: {c.ResetCount} after {f.ResetCount}.";
        }

        if (c.ResetCount == f.ResetCount)
        {
            if (c.RestartCount < f.RestartCount)
            {
                return $"restartCount went backwards: {c.RestartCount} after {f.RestartCount} (resetCount {c.ResetCount}).";
            }

            if (c.Clock < f.Clock)
            {
                return $"clock went backwards: {c.Clock} after {f.Clock} (resetCount {c.ResetCount}, restartCount {c.RestartCount}).";
            }

            return null;
        }

        return c.Clock < f.Clock && c.Safe
            ? $"clock went backwards across a reboot with safe = YES: {c.Clock} after {f.Clock}."
            : null;
    }
}
