// ncnn's GPU enumeration for Swift, through a C header (upscaled_ncnn_gpu.h).
#include "upscaled_ncnn_gpu.h"
#include <ncnn/platform.h>
#include <string.h>

#if NCNN_VULKAN
#include <ncnn/gpu.h>

extern "C" int upscaled_ncnn_gpu_built(void) { return 1; }

extern "C" int upscaled_ncnn_gpu_count(void) { return ncnn::get_gpu_count(); }

extern "C" int upscaled_ncnn_gpu_default_index(void) {
    return ncnn::get_gpu_count() > 0 ? ncnn::get_default_gpu_index() : -1;
}

static bool valid(int index) { return index >= 0 && index < ncnn::get_gpu_count(); }

extern "C" int upscaled_ncnn_gpu_name(int index, char *name, size_t size) {
    if (!valid(index) || size == 0) return -1;
    strncpy(name, ncnn::get_gpu_info(index).device_name(), size - 1);
    name[size - 1] = 0;
    return 0;
}

extern "C" int upscaled_ncnn_gpu_type(int index) { return valid(index) ? ncnn::get_gpu_info(index).type() : -1; }

extern "C" unsigned upscaled_ncnn_gpu_heap_budget_mb(int index) {
    if (!valid(index)) return 0;
    ncnn::VulkanDevice *device = ncnn::get_gpu_device(index);
    return device ? device->get_heap_budget() : 0;
}

extern "C" void upscaled_ncnn_net_set_vulkan_device(ncnn_net_t net, int index) { ncnn_net_set_vulkan_device(net, index); }

extern "C" void upscaled_ncnn_gpu_destroy(void) { ncnn::destroy_gpu_instance(); }

#else   // a CPU-only libncnn: no devices, nothing to load

extern "C" int upscaled_ncnn_gpu_built(void) { return 0; }
extern "C" int upscaled_ncnn_gpu_count(void) { return 0; }
extern "C" int upscaled_ncnn_gpu_default_index(void) { return -1; }
extern "C" int upscaled_ncnn_gpu_name(int, char *name, size_t size) { if (size) name[0] = 0; return -1; }
extern "C" int upscaled_ncnn_gpu_type(int) { return -1; }
extern "C" unsigned upscaled_ncnn_gpu_heap_budget_mb(int) { return 0; }
extern "C" void upscaled_ncnn_net_set_vulkan_device(ncnn_net_t, int) {}
extern "C" void upscaled_ncnn_gpu_destroy(void) {}

#endif
