namespace KcryptPush.Registrar.Store;

/// <summary>
/// A unit's commit found that a challenge it consumes was consumed by another unit after it read it, or
/// that a challenge id it inserts exists: nothing of the unit was written. Only a unit that wrote without
/// its node's lock can meet this (the lock serialises units of one node); the loser's answer is a refusal.
/// </summary>
public sealed class RegistrarStoreConflictException(string message) : InvalidOperationException(message);
