/* libFuzzer target for hardware-model files (docs/hardware-models.md) and SANA-FE architecture
 * files: any input must either load - and then be described, which walks every figure - or fail
 * with a code and a message that names the input; never crash, hang, over-read or leak.
 * Corpus: tests/fuzz/corpus/hw (the models in hw_models/ and broken variants). */
#include "../../sim/hw/hw_internal.h"
#include "myelin/hw.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink && !(sink = fopen("/dev/null", "w")))
        abort();
    myl_hw *hw = NULL;
    myl_diag d = {0};
    int rc = myl__hw_parse((const char *)data, size, "fuzz.yaml", &hw, &d);
    if (rc) {
        if (hw || rc > 0 || (rc != MYL_ENOMEM && (!d.set || strstr(d.msg, "fuzz") == NULL)))
            abort();
        return 0;
    }
    if (!hw)
        abort();
    myl_hw_describe(hw, sink);
    myl_hw_summary(hw, sink);
    myl_hw_free(hw);
    return 0;
}
