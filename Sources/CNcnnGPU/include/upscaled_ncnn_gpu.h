#ifndef UPSCALED_NCNN_GPU_H
#define UPSCALED_NCNN_GPU_H
/* What ncnn's C API leaves out: its Vulkan devices (C++ gpu.h). Built against the installed
 * libncnn: when that was built without Vulkan (NCNN_VULKAN 0 in ncnn/platform.h) every function
 * says "no device" and nothing of Vulkan is linked or loaded.
 *
 * The first call to upscaled_ncnn_gpu_count() makes ncnn load libvulkan.so.1 (NCNN_SIMPLEVK:
 * at run time, so a machine without Vulkan just has 0 devices) and create its Vulkan instance;
 * nothing here is called when the AI engine is set to the CPU (ai.gpu = "off"). */
#include <stddef.h>
#include <ncnn/c_api.h>
#ifdef __cplusplus
extern "C" {
#endif

/** 1 when libncnn was built with Vulkan. Touches nothing. */
int upscaled_ncnn_gpu_built(void);
/** The number of Vulkan devices ncnn can use (0: none, no loader, or a CPU-only libncnn). The
 *  first call creates ncnn's instance with stderr held aside (see upscaled_ncnn_gpu_log). */
int upscaled_ncnn_gpu_count(void);
/** What ncnn printed while creating its Vulkan instance (its device list), NUL-terminated;
 *  empty until a call to upscaled_ncnn_gpu_count() has returned (it never creates the instance). */
const char *upscaled_ncnn_gpu_log(void);
/** The device ncnn prefers (discrete, then integrated, virtual, CPU), or -1 with none. */
int upscaled_ncnn_gpu_default_index(void);
/** Device `index`'s name ("llvmpipe (LLVM 15.0.6, 256 bits)"), copied into `name` (NUL-terminated); 0 on success. */
int upscaled_ncnn_gpu_name(int index, char *name, size_t size);
/** 0 discrete, 1 integrated, 2 virtual, 3 CPU (a software rasterizer such as lavapipe); -1 bad index. */
int upscaled_ncnn_gpu_type(int index);
/** ncnn's memory budget for device `index` in MiB (creates the device); 0 bad index. */
unsigned upscaled_ncnn_gpu_heap_budget_mb(int index);
/** ncnn_net_set_vulkan_device, which c_api.h declares only in a Vulkan build; a no-op without. */
void upscaled_ncnn_net_set_vulkan_device(ncnn_net_t net, int index);
/** Destroys ncnn's Vulkan instance and devices (after the last network on them is gone). */
void upscaled_ncnn_gpu_destroy(void);

#ifdef __cplusplus
}
#endif
#endif
