/** The repository configuration, at the repository root. */
export const CONFIG_FILE = 'pushgate.yml';
