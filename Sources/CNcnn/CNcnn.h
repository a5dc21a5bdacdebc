/* ncnn's C API, as installed by packaging/install-ncnn (a static libncnn built with OpenMP). */
#include <ncnn/c_api.h>
