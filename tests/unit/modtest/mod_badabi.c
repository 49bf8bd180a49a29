/* unit/modtest/mod_badabi.c - a module built for another ABI: the
 * loader must refuse it before reading anything past <abi>.
 */
#include <pbx/mod.h>

const struct pbx_mod_export pbx_mod_badabi = {
	.abi = PBX_MOD_ABI + 1,
	.name = "badabi",
};
