/* pkg/security/seccomp.c: seccomp profiles. (Being written: RuntimeDefault and the JSON
 * reader.) */
#include "security.h"

const char *security_seccomp_kind_name(enum security_seccomp_kind kind)
{
	switch (kind) {
	case SECURITY_SECCOMP_UNCONFINED:
		return "Unconfined";
	case SECURITY_SECCOMP_RUNTIME_DEFAULT:
		return "RuntimeDefault";
	case SECURITY_SECCOMP_LOCALHOST:
		return "Localhost";
	}
	return "unknown";
}
