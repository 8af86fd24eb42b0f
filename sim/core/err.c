/* Error names and messages, generated from the one list in err.h, and the diag helpers. */
#include "myelin/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *myl_strerror(int rc)
{
    switch (rc) {
    case 0:
        return "success";
#define MYL_ERR_STR_(name, val, str)                                                               \
    case val:                                                                                      \
        return str;
        MYL_ERRNO_MAP(MYL_ERR_STR_)
#undef MYL_ERR_STR_
    default:
        return "unknown error";
    }
}

const char *myl_err_name(int rc)
{
    switch (rc) {
    case 0:
        return "OK";
#define MYL_ERR_NAME_(name, val, str)                                                              \
    case val:                                                                                      \
        return "MYL_E" #name;
        MYL_ERRNO_MAP(MYL_ERR_NAME_)
#undef MYL_ERR_NAME_
    default:
        return "MYL_E?";
    }
}

int myl_diag_fail(myl_diag *d, int rc, const char *fmt, ...)
{
    if (d && !d->set) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->msg, sizeof d->msg, fmt, ap);
        va_end(ap);
        d->set = 1;
    }
    return rc;
}

void myl_diag_clear(myl_diag *d)
{
    if (d) {
        d->set = 0;
        d->msg[0] = '\0';
    }
}
