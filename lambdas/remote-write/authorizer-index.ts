/** Lambda entry of the remote-write API's authorizer: the logic is in ./authorizer.ts. */
export { authorizeRemoteWrite as handler } from './authorizer.js';
