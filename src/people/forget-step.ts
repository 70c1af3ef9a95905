/**
 * People discovery's share of forgetting an identity (`Gallery.forget`): the persons named as the
 * identity, every face clustered into them or made into one of its templates (embeddings and
 * thumbnails), and, through ON DELETE CASCADE, the hand-edit constraints on those faces. The photo
 * records stay (content hash, path, face count), so a re-scan of the same photo does not bring the
 * forgotten faces back; a new photo of the person is clustered afresh, unnamed.
 */
import type { ForgetDialect, ForgetStatement, ForgetStep } from '../gallery/index.js';

/**
 * The forget step of people discovery; apps register it on every gallery they open.
 *
 * @example
 * gallery.registerForgetStep(PEOPLE_FORGET_STEP)
 */
export const PEOPLE_FORGET_STEP: ForgetStep = Object.freeze({
  name: 'people',
  tables: Object.freeze(['persons', 'person_faces']),
  statements(dialect: ForgetDialect): readonly ForgetStatement[] {
    const t = (name: string): string => (dialect === 'postgres' ? `arcface_${name}` : name);
    return [
      {
        count: 'personFaces',
        sql: `DELETE FROM ${t('person_faces')} WHERE person_id IN (SELECT person_id FROM ${t('persons')} WHERE identity_id = @id)
          OR template_id IN (SELECT template_id FROM ${t('templates')} WHERE identity_id = @id)`,
      },
      { count: 'persons', sql: `DELETE FROM ${t('persons')} WHERE identity_id = @id` },
    ];
  },
});
