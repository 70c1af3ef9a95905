/**
 * File extensions taken as images when a folder is read (CLI folders, `enroll --people`), lower case.
 *
 * @example
 * IMAGE_EXTENSIONS.includes('.jpg') // true
 */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif']);
