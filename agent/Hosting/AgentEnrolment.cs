using KcryptPush.Contracts.V1;

namespace KcryptPush.Agent.Hosting;

/// <summary>The node's enrolment once it succeeded (for the push loop of a later issue and for status).</summary>
public sealed class AgentEnrolment
{
    private readonly TaskCompletionSource<NodeEnrolled> _enrolled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the registrar accepted the proof.</summary>
    public Task<NodeEnrolled> Enrolled => _enrolled.Task;

    internal void Complete(NodeEnrolled enrolled) => _enrolled.TrySetResult(enrolled);
}
