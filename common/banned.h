/*
 * Functions banned from sourcegate (git banned.h): unbounded copies and formats, hidden
 * state, unchecked conversions. Included last by common.h so using one is a compile error.
 */
#ifndef SG_BANNED_H
#define SG_BANNED_H

#define SG_BANNED(func) sorry_##func##_is_banned_use_sg_buf_or_bounded_calls

#undef strcpy
#define strcpy(x, y) SG_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SG_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) SG_BANNED(strncpy)
#undef sprintf
#define sprintf(...) SG_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) SG_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) SG_BANNED(strtok)
#undef atoi
#define atoi(x) SG_BANNED(atoi)
#undef atol
#define atol(x) SG_BANNED(atol)
#undef gets
#define gets(x) SG_BANNED(gets)

#endif
