/**
 * Every `pushgate` command exits with one of these: 0 it did what was asked (or printed help), 1 a
 * run or a check failed or a call to AWS / GitHub failed, 2 it was called wrongly (an unknown
 * command or option, a missing argument, an unknown id, a file that is not there).
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
