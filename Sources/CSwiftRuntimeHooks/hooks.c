#include "CSwiftRuntimeHooks.h"

/* Defined by libswift_Concurrency (shared or static); declared here as plain pointers. */
extern const void *swift_task_enqueueGlobalWithDelay_hook;
extern const void *swift_task_enqueueGlobalWithDeadline_hook;

void upscaled_install_delay_hooks(const void *delay_hook, const void *deadline_hook) {
    swift_task_enqueueGlobalWithDelay_hook = delay_hook;
    swift_task_enqueueGlobalWithDeadline_hook = deadline_hook;
}
