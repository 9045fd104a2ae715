// Routes that store or open secrets need SEALING_KEY (and read SEALING_KEY_PREVIOUS while a key
// rotation is under way): without a usable key they answer 503 before anything is sent or stored.

import { keyring } from "../environment.js";

export async function requireSealingKey(c, next) {
  keyring(c.env);
  await next();
}
