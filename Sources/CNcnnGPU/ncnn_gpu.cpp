// ncnn's GPU enumeration for Swift, through a C header (upscaled_ncnn_gpu.h).
#include "upscaled_ncnn_gpu.h"
#include <ncnn/platform.h>
#include <string.h>

#if NCNN_VULKAN
#include <ncnn/gpu.h>
#include <mutex>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

extern "C" int upscaled_ncnn_gpu_built(void) { return 1; }

static std::once_flag instance_once;
static int device_count = 0;
static char instance_log[8192];

/* ncnn prints every device's capabilities to stderr when it creates its Vulkan instance (four
 * lines per device, unconditionally): noise in the journal and on a terminal. For the length of
 * that one call, stderr goes to a memory file (never a pipe: a full pipe would block ncnn), and
 * what it printed is kept for upscaled_ncnn_gpu_log(). This runs once, at the engine's start,
 * before any job; a line another thread wrote to stderr in that moment would be kept there too. */
static void create_instance_quietly(void) {
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int sink = memfd_create("upscaled-ncnn-gpu-log", MFD_CLOEXEC);
    bool redirected = saved >= 0 && sink >= 0 && dup2(sink, STDERR_FILENO) >= 0;
    device_count = ncnn::get_gpu_count();
    fflush(stderr);
    if (redirected) {
        dup2(saved, STDERR_FILENO);
        ssize_t n = pread(sink, instance_log, sizeof instance_log - 1, 0);
        instance_log[n > 0 ? n : 0] = 0;
    }
    if (saved >= 0) close(saved);
    if (sink >= 0) close(sink);
}

extern "C" int upscaled_ncnn_gpu_count(void) {
    std::call_once(instance_once, create_instance_quietly);
    return device_count;
}

extern "C" const char *upscaled_ncnn_gpu_log(void) { return instance_log; }

extern "C" int upscaled_ncnn_gpu_default_index(void) {
    return upscaled_ncnn_gpu_count() > 0 ? ncnn::get_default_gpu_index() : -1;
}

static bool valid(int index) { return index >= 0 && index < upscaled_ncnn_gpu_count(); }

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
extern "C" const char *upscaled_ncnn_gpu_log(void) { return ""; }
extern "C" int upscaled_ncnn_gpu_default_index(void) { return -1; }
extern "C" int upscaled_ncnn_gpu_name(int, char *name, size_t size) { if (size) name[0] = 0; return -1; }
extern "C" int upscaled_ncnn_gpu_type(int) { return -1; }
extern "C" unsigned upscaled_ncnn_gpu_heap_budget_mb(int) { return 0; }
extern "C" void upscaled_ncnn_net_set_vulkan_device(ncnn_net_t, int) {}
extern "C" void upscaled_ncnn_gpu_destroy(void) {}

#endif
