/** A login for basic auth: the stack's (user `stack`, its password file) where it is published. */
export interface Login {
  username: string;
  password: string;
}

/** The Authorization header of a login, or no header. */
export function authorizationHeader(login?: Login): Record<string, string> {
  return login
    ? { authorization: `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}` }
    : {};
}
