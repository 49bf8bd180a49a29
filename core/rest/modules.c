/* rest/modules.c - GET /api/v1/modules: every module modules.load named,
 * loaded, declined or failed (with its reason), and what each one
 * registered. The registry belongs to the loop, so the list is built
 * there through pbx_loop_call() rather than under a lock the loop would
 * take on every dial.
 */
#include <errno.h>

#include <pbx/loop.h>

#include "mod/registry.h"
#include "rest/req.h"
#include "rest/router.h"

struct list_job {
	json_t *items;            /* (ref) built on the loop */
};

/* Loop thread. */
static void list_on_loop(void *arg)
{
	struct list_job *job = arg;

	job->items = pbx_mod_list_json();
}

int pbx_rest_modules_list(struct pbx_rest_req *req)
{
	struct list_job job = { NULL };

	if (pbx_loop_call(list_on_loop, &job))
		return pbx_rest_error(req, 503, "unavailable", NULL,
				      "pbxd is stopping");
	if (!job.items)
		return ENOMEM;
	return pbx_rest_reply(req, 200,
			      json_pack("{s:I, s:o}", "total",
					(json_int_t)json_array_size(job.items),
					"items", job.items));
}
