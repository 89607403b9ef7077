/** JSON <-> bytes for values kept in the vault's storage view (one codec for every engine). */
export { decodeJson, encodeJson } from '../../core/codec.js';
