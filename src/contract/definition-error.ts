/** A contract that cannot be served as written; thrown where the contract is defined. */
export class ContractDefinitionError extends Error {
  override readonly name = 'ContractDefinitionError';
  constructor(
    readonly where: string,
    readonly reason: string,
  ) {
    super(`${where}: ${reason}`);
  }
}
