using Mediator;

namespace CharacterHub.Kernel.Contracts.Accounts;

public sealed record UserSummary(long Id, string Username, string DisplayName);

/// <summary>Finds a user by username (case-insensitive); answered by the host, which owns accounts.</summary>
public sealed record FindUserByUsername(string Username) : IQuery<UserSummary?>;

/// <summary>Usernames for a set of user ids (unknown ids are left out).</summary>
public sealed record GetUserSummaries(IReadOnlyCollection<long> Ids) : IQuery<IReadOnlyDictionary<long, UserSummary>>;
