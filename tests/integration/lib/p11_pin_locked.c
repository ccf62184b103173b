/* A PKCS#11 module for tests/integration/pkcs11.sh: the real module named by
 * $P11_LOCKED_TARGET (SoftHSM2), except that its tokens report their user PIN locked
 * (CKF_USER_PIN_LOCKED) and refuse every login with CKR_PIN_LOCKED. SoftHSM2 never locks
 * a PIN, and a locked token PIN is what the test must see reported as such. */
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <stdlib.h>

static CK_FUNCTION_LIST wrapped;
static CK_C_GetTokenInfo real_get_token_info;

static CK_RV locked_login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
                          CK_ULONG pin_len)
{
    (void)session, (void)user, (void)pin, (void)pin_len;
    return CKR_PIN_LOCKED;
}

static CK_RV locked_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
    CK_RV rv = real_get_token_info(slot, info);
    if (rv == CKR_OK)
        info->flags |= CKF_USER_PIN_LOCKED;
    return rv;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
    const char *target = getenv("P11_LOCKED_TARGET");
    void *lib = dlopen(target ? target : "/usr/lib/softhsm/libsofthsm2.so", RTLD_NOW);
    if (!lib)
        return CKR_GENERAL_ERROR;
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
    CK_FUNCTION_LIST_PTR real = NULL;
    if (!get || get(&real) != CKR_OK || !real)
        return CKR_GENERAL_ERROR;
    wrapped = *real;
    real_get_token_info = real->C_GetTokenInfo;
    wrapped.C_Login = locked_login;
    wrapped.C_GetTokenInfo = locked_token_info;
    *out = &wrapped;
    return CKR_OK;
}
