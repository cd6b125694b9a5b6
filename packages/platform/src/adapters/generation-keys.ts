/**
 * The generation marker of a grant (see `Generations`): bumped by the grants service after every
 * committed change of the grant, read by every gateway replica that caches it.
 */
export function grantGenerationKey(grantId: string): string {
  return `grant:${grantId}`;
}
