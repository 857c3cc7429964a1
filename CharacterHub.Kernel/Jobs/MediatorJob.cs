using Mediator;

namespace CharacterHub.Kernel.Jobs;

/// <summary>
/// The one Hangfire job type: it sends a command through the mediator, so that job logic is an ordinary,
/// testable handler and jobs stay thin. Generic so that Hangfire stores the command's concrete type.
/// </summary>
public sealed class MediatorJob(IMediator mediator)
{
    public async Task Run<TCommand>(TCommand command, CancellationToken cancellationToken) where TCommand : ICommand
        => await mediator.Send(command, cancellationToken);
}
