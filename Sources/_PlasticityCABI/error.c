#include <stdlib.h>
#include <string.h>
#include "_PlasticityCABI.h"

// One message per thread, so that two threads calling into the library never see each other's.
static _Thread_local char *last_error;

void plasticity_set_last_error(const char *message) {
    free(last_error);
    last_error = message ? strdup(message) : NULL;
}

const char *plasticity_last_error(void) { return last_error ? last_error : ""; }
