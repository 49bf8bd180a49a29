/* unit/modtest/mod_nosym.c - a shared object without pbx_mod_nosym (a
 * misspelt export), and one whose export names another module.
 */
#include <pbx/mod.h>

const struct pbx_mod_export pbx_mod_no_sym = {
	.abi = PBX_MOD_ABI,
	.name = "nosym",
};

const struct pbx_mod_export pbx_mod_misnamed = {
	.abi = PBX_MOD_ABI,
	.name = "other",
};
