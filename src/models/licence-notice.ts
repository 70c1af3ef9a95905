import type { KnownModel } from './known-model.js';

/**
 * The licence notice of a non-commercial model, or `undefined` for a model free for commercial use.
 *
 * @example
 * const text = licenceNotice(findKnownModel('w600k-mbf')!)
 */
export function licenceNotice(model: KnownModel): string | undefined {
  if (!model.licence.nonCommercial) return undefined;
  return (
    `Note: model ${model.name} (${model.fileName}) is licensed "${model.licence.name}". ` +
    `It may not be used commercially without a licence from its owner; see ${model.licence.url}`
  );
}
