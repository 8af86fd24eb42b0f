/* libFuzzer target for the .npy reader: any input must either load (and then describe itself
 * consistently) or fail with a parse/size code and a message naming the input, never crash,
 * over-read or leak. Corpus: tests/fuzz/corpus/npy (real NumPy files and broken ones). */
#include "myelin/npy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    myl_npy a;
    myl_diag d = {0};
    int rc = myl_npy_load_mem(data, size, "fuzz.npy", &a, &d);
    if (rc == 0) {
        uint64_t count = 1;
        for (int i = 0; i < a.ndim; i++)
            count *= a.shape[i];
        if (a.ndim < 0 || a.ndim > MYL_NPY_MAXDIM || count != a.count || !a.data ||
            a.itemsize != myl_npy_itemsize(a.dtype) || a.count * a.itemsize > size)
            abort();
        double sum = 0;
        for (uint64_t i = 0; i < a.count && i < 4096; i++)
            sum += myl_npy_get(&a, i);
        (void)sum;
    } else if ((rc != MYL_EPARSE && rc != MYL_ETOOBIG) || !d.set ||
               strncmp(d.msg, "fuzz.npy: ", 10) != 0) {
        abort();
    }
    myl_npy_release(&a);
    return 0;
}
