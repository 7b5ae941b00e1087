namespace KcryptPush.Messaging;

/// <summary>Marker for this assembly (bus wiring lands with the enrolment flow).</summary>
internal static class MessagingAssembly;
