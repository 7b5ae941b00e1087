using KcryptPush.Tpm.Sessions;
using KcryptPush.Tpm.Types;

namespace KcryptPush.Tpm.Commands;

/// <summary>
/// TPM2_EvictControl (TPM 2.0 Part 3 §28.5): handles auth (owner or platform, password) and
/// objectHandle; parameter persistentHandle. Persisting passes the transient handle; evicting
/// passes the persistent handle in both places.
/// </summary>
public static class EvictControlCommand
{
    /// <summary>Makes the loaded object <paramref name="transient"/> persistent at <paramref name="persistent"/>.</summary>
    public static void Persist(this TpmCommandChannel tpm, uint transient, uint persistent, uint auth = TpmHandle.RhOwner) =>
        tpm.EvictControl(auth, transient, persistent);

    /// <summary>Removes the persistent object at <paramref name="persistent"/>.</summary>
    public static void Evict(this TpmCommandChannel tpm, uint persistent, uint auth = TpmHandle.RhOwner) =>
        tpm.EvictControl(auth, persistent, persistent);

    public static void EvictControl(this TpmCommandChannel tpm, uint auth, uint objectHandle, uint persistentHandle) =>
        tpm.Execute(new TpmCommand(
            TpmCc.EvictControl,
            [auth, objectHandle],
            [TpmAuthorization.Password()],
            TpmCommand.Params(w => w.WriteUInt32(persistentHandle))));
}
