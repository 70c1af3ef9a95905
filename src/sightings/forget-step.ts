/**
 * The sightings' share of forgetting an identity (`Gallery.forget`): every sighting decided as the
 * identity with its stored faces (JPEG crops and embeddings), its "not X" negatives, and the visitors
 * taught as it (their unknown sightings stay, no longer linked to the person). Run inside the
 * gallery's forget transaction, so it goes with the identity or not at all.
 */
import type { ForgetDialect, ForgetStatement, ForgetStep } from '../gallery/index.js';

/**
 * The forget step of sightings; apps register it on every gallery they open.
 *
 * @example
 * gallery.registerForgetStep(SIGHTINGS_FORGET_STEP)
 */
export const SIGHTINGS_FORGET_STEP: ForgetStep = Object.freeze({
  name: 'sightings',
  tables: Object.freeze(['sightings', 'sighting_faces', 'sighting_negatives', 'visitors']),
  statements(dialect: ForgetDialect): readonly ForgetStatement[] {
    const t = (name: string): string => (dialect === 'postgres' ? `arcface_${name}` : name);
    return [
      {
        count: 'sightingFaces',
        sql: `DELETE FROM ${t('sighting_faces')} WHERE sighting_id IN (SELECT sighting_id FROM ${t('sightings')} WHERE identity_id = @id)`,
      },
      { count: 'sightings', sql: `DELETE FROM ${t('sightings')} WHERE identity_id = @id` },
      { count: 'negatives', sql: `DELETE FROM ${t('sighting_negatives')} WHERE identity_id = @id` },
      { count: 'visitors', sql: `DELETE FROM ${t('visitors')} WHERE identity_id = @id` },
    ];
  },
});
