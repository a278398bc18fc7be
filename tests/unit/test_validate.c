/* Pod decoding and validation: every rule, every cause at once, defaults, warnings, QoS.
 * Rows patch a minimal valid Pod (JSON merge, arrays replaced) and name the causes expected. */
#include "check_main.h"
#include <string.h>

#include "spec/spec.h"

/* JSON with ' for " so that rows stay readable. */
static json_t *json_q(const char *text)
{
	_cleanup_free_ char *s = strdup(text);
	json_error_t e;
	json_t *j;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, 0, &e);
	ck_assert_msg(j, "bad test JSON: %s: %s", text, e.text);
	return j;
}

static const char *const base_pod =
        "{'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'p'},"
        " 'spec': {'containers': [{'name': 'app', 'image': 'host', 'command': ['/bin/true']}]}}";

static json_t *pod_with(const char *patch)
{
	json_t *doc = json_q(base_pod);

	if (patch) {
		_cleanup_json_ json_t *p = json_q(patch);

		ck_assert_int_eq(json_object_update_recursive(doc, p), 0);
	}
	return doc;
}

struct decoded {
	int rc;
	struct spec_pod *pod;
	char **warnings;
	struct nano_err err;
};

static void decode(const char *patch, bool strict, struct decoded *d)
{
	_cleanup_json_ json_t *doc = pod_with(patch);
	struct spec_decode_options o = {.path_namespace = "default", .strict = strict};

	*d = (struct decoded){0};
	d->rc = spec_pod_decode(doc, &o, &d->pod, &d->warnings, &d->err);
}

static void decoded_done(struct decoded *d)
{
	spec_pod_free(d->pod);
	strv_free(d->warnings);
	nano_err_clear(&d->err);
}

/* ---- the rules, one row each ---------------------------------------------------------------- */

struct rule_row {
	const char *name;
	const char *patch;
	const char *fields; /* the causes' fields in order, joined by " | "; NULL: valid */
};

#define C0 "{'spec': {'containers': [{'name': 'app', 'command': ['/bin/true'], "

static const struct rule_row rule_rows[] = {
        {"minimal pod is valid", NULL, NULL},
        {"kind must be Pod", "{'kind': 'Deployment'}", "kind"},
        {"apiVersion must be v1", "{'apiVersion': 'apps/v1'}", "apiVersion"},
        {"kind and apiVersion may be absent", "{'kind': null, 'apiVersion': null}", NULL},
        {"name required", "{'metadata': {'name': null}}", "metadata.name"},
        {"name is a DNS-1123 subdomain", "{'metadata': {'name': 'Bad_Name'}}", "metadata.name"},
        {"dotted name is fine", "{'metadata': {'name': 'a.b-c.d'}}", NULL},
        /* a create checks labels and annotations as an update does (ValidateObjectMeta) */
        {"labels and annotations with qualified keys",
         "{'metadata': {'labels': {'app.kubernetes.io/name': 'web', 'tier': ''}, "
         "'annotations': {'example.com/note': 'any text: at all'}}}",
         NULL},
        {"a label value past the alphabet", "{'metadata': {'labels': {'app': 'web server'}}}",
         "metadata.labels"},
        {"a label key with a bad prefix, an annotation key with an empty name",
         "{'metadata': {'labels': {'Bad_Prefix/app': 'x'}, 'annotations': {'a/': 'x'}}}",
         "metadata.labels | metadata.annotations"},
        {"at least one container", "{'spec': {'containers': []}}", "spec.containers"},
        {"spec absent means no containers", "{'spec': null}", "spec.containers"},
        {"container name is a DNS-1123 label", C0 "'name': 'App'}]}}", "spec.containers[0].name"},
        {"container name required", "{'spec': {'containers': [{'command': ['/bin/true']}]}}",
         "spec.containers[0].name"},
        {"container names unique",
         "{'spec': {'containers': [{'name': 'a', 'command': ['x']}, {'name': 'a', 'command': "
         "['y']}]}}",
         "spec.containers[1].name"},
        {"container name infra is the shim's", C0 "'name': 'infra'}]}}", "spec.containers[0].name"},
        {"image without leading or trailing whitespace", C0 "'image': 'busybox '}]}}",
         "spec.containers[0].image"},
        {"an image reference needs no command",
         "{'spec': {'containers': [{'name': 'app', 'image': 'busybox:1.36'}]}}", NULL},
        {"a reference with '..' is the kubelet's to refuse (InvalidImageName)",
         C0 "'image': 'a/../../etc'}]}}", NULL},
        {"a directory root needs a command",
         "{'spec': {'containers': [{'name': 'app', 'image': '/srv/rootfs'}]}}",
         "spec.containers[0].command"},
        {"the host's root needs a command",
         "{'spec': {'containers': [{'name': 'app', 'image': 'host'}]}}",
         "spec.containers[0].command"},
        {"image may be an absolute path", C0 "'image': '/srv/rootfs'}]}}", NULL},
        {"command required", "{'spec': {'containers': [{'name': 'app'}]}}",
         "spec.containers[0].command"},
        {"empty command refused", "{'spec': {'containers': [{'name': 'app', 'command': []}]}}",
         "spec.containers[0].command"},
        {"quantities as Kubernetes writes them",
         C0 "'resources': {'requests': {'cpu': '100m', 'memory': '123Ki'}, 'limits': {'cpu': 0.5, "
            "'memory': '128Mi'}}}]}}",
         NULL},
        {"quantity 1G 1e3 1k",
         C0 "'resources': {'requests': {'memory': '1k', 'cpu': '1e3'}, 'limits': {'memory': '1G', "
            "'cpu': 1000}}}]}}",
         NULL},
        {"quantity 1K refused", C0 "'resources': {'limits': {'memory': '1K'}}}]}}",
         "spec.containers[0].resources.limits.memory"},
        {"quantity 12Mb refused", C0 "'resources': {'limits': {'memory': '12Mb'}}}]}}",
         "spec.containers[0].resources.limits.memory"},
        {"negative quantity refused", C0 "'resources': {'requests': {'cpu': '-1'}}}]}}",
         "spec.containers[0].resources.requests.cpu"},
        {"quantity too large", C0 "'resources': {'limits': {'memory': '1e100'}}}]}}",
         "spec.containers[0].resources.limits.memory"},
        {"resources limits and requests null (once an endless loop)",
         C0 "'resources': {'limits': null, 'requests': null}}]}}", NULL},
        {"resources limits and requests true (once an endless loop)",
         C0 "'resources': {'limits': true, 'requests': true}}]}}",
         "spec.containers[0].resources.limits | spec.containers[0].resources.requests"},
        {"cpu request above limit",
         C0 "'resources': {'requests': {'cpu': '600m'}, 'limits': {'cpu': '500m'}}}]}}",
         "spec.containers[0].resources.requests"},
        {"memory request above limit",
         C0 "'resources': {'requests': {'memory': '2Gi'}, 'limits': {'memory': '1Gi'}}}]}}",
         "spec.containers[0].resources.requests"},
        {"request equal to limit after rounding",
         C0 "'resources': {'requests': {'memory': '0.5'}, 'limits': {'memory': '1'}}}]}}", NULL},
        {"runAsUser below 0", "{'spec': {'securityContext': {'runAsUser': -1}}}",
         "spec.securityContext.runAsUser"},
        {"runAsUser above 2147483647", "{'spec': {'securityContext': {'runAsUser': 2147483648}}}",
         "spec.securityContext.runAsUser"},
        {"runAsUser 2147483647 fits", "{'spec': {'securityContext': {'runAsUser': 2147483647}}}",
         NULL},
        {"runAsGroup range", "{'spec': {'securityContext': {'runAsGroup': -5}}}",
         "spec.securityContext.runAsGroup"},
        {"fsGroup range", "{'spec': {'securityContext': {'fsGroup': 4294967296}}}",
         "spec.securityContext.fsGroup"},
        {"supplementalGroups range",
         "{'spec': {'securityContext': {'supplementalGroups': [1, -2, 3]}}}",
         "spec.securityContext.supplementalGroups[1]"},
        {"container runAsUser range", C0 "'securityContext': {'runAsUser': -1}}]}}",
         "spec.containers[0].securityContext.runAsUser"},
        {"hostname is a DNS-1123 label", "{'spec': {'hostname': 'Bad_Host'}}", "spec.hostname"},
        {"hostname of 64 characters refused",
         "{'spec': {'hostname': "
         "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}}",
         "spec.hostname"},
        {"restartPolicy Never", "{'spec': {'restartPolicy': 'Never'}}", NULL},
        {"imagePullPolicy Never", C0 "'image': 'busybox', 'imagePullPolicy': 'Never'}]}}", NULL},
        {"imagePullPolicy unknown", C0 "'imagePullPolicy': 'Sometimes'}]}}",
         "spec.containers[0].imagePullPolicy"},
        {"restartPolicy OnFailure", "{'spec': {'restartPolicy': 'OnFailure'}}", NULL},
        {"restartPolicy unknown", "{'spec': {'restartPolicy': 'Sometimes'}}", "spec.restartPolicy"},
        {"negative grace period", "{'spec': {'terminationGracePeriodSeconds': -1}}",
         "spec.terminationGracePeriodSeconds"},
        {"grace period 0 is fine", "{'spec': {'terminationGracePeriodSeconds': 0}}", NULL},
        {"hostUsers false with hostNetwork", "{'spec': {'hostUsers': false, 'hostNetwork': true}}",
         "spec.hostNetwork"},
        {"hostUsers false with hostPID and hostIPC",
         "{'spec': {'hostUsers': false, 'hostPID': true, 'hostIPC': true}}",
         "spec.hostPID | spec.hostIPC"},
        {"hostUsers false alone is fine", "{'spec': {'hostUsers': false}}", NULL},
        {"shareProcessNamespace with hostPID",
         "{'spec': {'shareProcessNamespace': true, 'hostPID': true}}",
         "spec.shareProcessNamespace"},
        {"env value must be a string (yes read as a boolean)",
         C0 "'env': [{'name': 'A', 'value': true}]}]}}", "spec.containers[0].env[0].value"},
        {"env name required", C0 "'env': [{'value': 'x'}]}]}}", "spec.containers[0].env[0].name"},
        {"env name format", C0 "'env': [{'name': '1A', 'value': 'x'}]}]}}",
         "spec.containers[0].env[0].name"},
        {"hostPID must be a boolean", "{'spec': {'hostPID': 'yes'}}", "spec.hostPID"},
        {"command must hold strings", C0 "'args': ['a', 1]}]}}", "spec.containers[0].args[1]"},
        {"volumeMount names a volume",
         C0 "'volumeMounts': [{'name': 'data', 'mountPath': '/d'}]}]}}",
         "spec.containers[0].volumeMounts[0].name"},
        {"volumeMount path absolute",
         "{'spec': {'volumes': [{'name': 'data', 'emptyDir': {}}], 'containers': [{'name': 'app', "
         "'command': ['x'], 'volumeMounts': [{'name': 'data', 'mountPath': 'd'}]}]}}",
         "spec.containers[0].volumeMounts[0].mountPath"},
        {"subPath may not climb",
         "{'spec': {'volumes': [{'name': 'data', 'emptyDir': {}}], 'containers': [{'name': 'app', "
         "'command': ['x'], 'volumeMounts': [{'name': 'data', 'mountPath': '/d', 'subPath': "
         "'a/../..'}]}]}}",
         "spec.containers[0].volumeMounts[0].subPath"},
        {"volumes with emptyDir and hostPath",
         "{'spec': {'volumes': [{'name': 'a', 'emptyDir': {'medium': 'Memory', 'sizeLimit': "
         "'64Mi'}}, {'name': 'b', 'hostPath': {'path': '/tmp', 'type': 'Directory'}}]}}",
         NULL},
        {"volume names unique",
         "{'spec': {'volumes': [{'name': 'a', 'emptyDir': {}}, {'name': 'a', 'emptyDir': {}}]}}",
         "spec.volumes[1].name"},
        {"emptyDir medium",
         "{'spec': {'volumes': [{'name': 'a', 'emptyDir': {'medium': 'Disk'}}]}}",
         "spec.volumes[0].emptyDir.medium"},
        {"hostPath type",
         "{'spec': {'volumes': [{'name': 'a', 'hostPath': {'path': '/x', 'type': "
         "'Dir'}}]}}",
         "spec.volumes[0].hostPath.type"},
        {"hostPath path absolute",
         "{'spec': {'volumes': [{'name': 'a', 'hostPath': {'path': "
         "'x'}}]}}",
         "spec.volumes[0].hostPath.path"},
        {"pids-limit annotation", "{'metadata': {'annotations': {'nanolet.io/pids-limit': '64'}}}",
         NULL},
        {"pids-limit annotation must be a number",
         "{'metadata': {'annotations': {'nanolet.io/pids-limit': 'many'}}}",
         "metadata.annotations[nanolet.io/pids-limit]"},
        {"pids-limit annotation at least 1",
         "{'metadata': {'annotations': {'nanolet.io/pids-limit': '0'}}}",
         "metadata.annotations[nanolet.io/pids-limit]"},
        /* securityContext: capabilities, privileged, seccompProfile, procMount */
        {"capabilities by any spelling, and ALL",
         C0 "'securityContext': {'capabilities': {'add': ['NET_ADMIN', 'cap_sys_time'], "
            "'drop': ['ALL', 'CAP_CHOWN']}}}]}}",
         NULL},
        {"an unknown capability, in add or drop",
         C0 "'securityContext': {'capabilities': {'add': ['NET_ADMIN', 'FLY'], 'drop': "
            "['CAP_TELEPORT']}}}]}}",
         "spec.containers[0].securityContext.capabilities.add[1] | "
         "spec.containers[0].securityContext.capabilities.drop[0]"},
        {"capabilities must be lists of strings",
         C0 "'securityContext': {'capabilities': {'add': 'NET_ADMIN'}}}]}}",
         "spec.containers[0].securityContext.capabilities.add"},
        {"allowPrivilegeEscalation false with privileged",
         C0 "'securityContext': {'privileged': true, 'allowPrivilegeEscalation': false}}]}}",
         "spec.containers[0].securityContext"},
        {"allowPrivilegeEscalation false with CAP_SYS_ADMIN, any spelling",
         C0 "'securityContext': {'allowPrivilegeEscalation': false, 'capabilities': {'add': "
            "['sys_admin']}}}]}}",
         "spec.containers[0].securityContext"},
        {"privileged is refused in a user namespace",
         "{'spec': {'hostUsers': false, 'containers': [{'name': 'app', 'command': ['x'], "
         "'securityContext': {'privileged': true}}]}}",
         "spec.containers[0].securityContext.privileged"},
        {"privileged alone is fine", C0 "'securityContext': {'privileged': true}}]}}", NULL},
        {"seccompProfile types",
         "{'spec': {'securityContext': {'seccompProfile': {'type': "
         "'Unconfined'}}, 'containers': [{'name': 'app', 'command': "
         "['x'], 'securityContext': {'seccompProfile': {'type': "
         "'Localhost', 'localhostProfile': 'profiles/a.json'}}}]}}",
         NULL},
        {"seccompProfile type unknown or missing",
         "{'spec': {'securityContext': {'seccompProfile': {'type': 'Strict'}}, 'containers': "
         "[{'name': 'app', 'command': ['x'], 'securityContext': {'seccompProfile': {}}}]}}",
         "spec.securityContext.seccompProfile.type | "
         "spec.containers[0].securityContext.seccompProfile.type"},
        {"Localhost needs localhostProfile, a relative path without ..",
         "{'spec': {'securityContext': {'seccompProfile': {'type': 'Localhost'}}, 'containers': "
         "[{'name': 'app', 'command': ['x'], 'securityContext': {'seccompProfile': {'type': "
         "'Localhost', 'localhostProfile': '../etc/x.json'}}}, {'name': 'b', 'command': ['x'], "
         "'securityContext': {'seccompProfile': {'type': 'Localhost', 'localhostProfile': "
         "'/abs.json'}}}]}}",
         "spec.securityContext.seccompProfile.localhostProfile | "
         "spec.containers[0].securityContext.seccompProfile.localhostProfile | "
         "spec.containers[1].securityContext.seccompProfile.localhostProfile"},
        {"localhostProfile only with Localhost",
         C0 "'securityContext': {'seccompProfile': {'type': 'RuntimeDefault', "
            "'localhostProfile': 'a.json'}}}]}}",
         "spec.containers[0].securityContext.seccompProfile.localhostProfile"},
        {"supplementalGroupsPolicy Merge",
         "{'spec': {'securityContext': "
         "{'supplementalGroupsPolicy': 'Merge'}}}",
         NULL},
        {"supplementalGroupsPolicy Strict",
         "{'spec': {'securityContext': "
         "{'supplementalGroupsPolicy': 'Strict'}}}",
         NULL},
        {"supplementalGroupsPolicy values",
         "{'spec': {'securityContext': "
         "{'supplementalGroupsPolicy': 'Loose'}}}",
         "spec.securityContext.supplementalGroupsPolicy"},
        {"procMount values", C0 "'securityContext': {'procMount': 'Open'}}]}}",
         "spec.containers[0].securityContext.procMount"},
        {"procMount Unmasked needs hostUsers false",
         C0 "'securityContext': {'procMount': 'Unmasked'}}]}}",
         "spec.containers[0].securityContext.procMount"},
        {"procMount Unmasked in a user namespace",
         "{'spec': {'hostUsers': false, 'containers': [{'name': 'app', 'command': ['x'], "
         "'securityContext': {'procMount': 'Unmasked'}}]}}",
         NULL},
        {"runAsNonRoot must be a boolean",
         "{'spec': {'securityContext': {'runAsNonRoot': 'yes please'}}}",
         "spec.securityContext.runAsNonRoot"},
        {"ports as Kubernetes writes them",
         C0 "'ports': [{'name': 'http', 'containerPort': 80, 'hostPort': 8080}, {'containerPort': "
            "53, 'protocol': 'UDP', 'hostIP': '198.18.0.1'}, {'containerPort': 9, 'protocol': "
            "'SCTP'}]}]}}",
         NULL},
        {"containerPort required", C0 "'ports': [{'name': 'http'}]}]}}",
         "spec.containers[0].ports[0].containerPort"},
        {"port numbers in range",
         C0 "'ports': [{'containerPort': 65536}, {'containerPort': -1, 'hostPort': 70000}]}]}}",
         "spec.containers[0].ports[0].containerPort | spec.containers[0].ports[1].containerPort | "
         "spec.containers[0].ports[1].hostPort"},
        {"protocol TCP, UDP or SCTP", C0 "'ports': [{'containerPort': 1, 'protocol': 'tcp'}]}]}}",
         "spec.containers[0].ports[0].protocol"},
        {"port name an IANA service name, unique",
         C0 "'ports': [{'containerPort': 1, 'name': 'a'}, {'containerPort': 2, 'name': 'a'}, "
            "{'containerPort': 3, 'name': '80'}]}]}}",
         "spec.containers[0].ports[1].name | spec.containers[0].ports[2].name"},
        {"hostIP an address", C0 "'ports': [{'containerPort': 1, 'hostIP': 'node'}]}]}}",
         "spec.containers[0].ports[0].hostIP"},
        {"one hostPort per protocol and hostIP in a pod",
         "{'spec': {'containers': [{'name': 'a', 'command': ['x'], 'ports': [{'containerPort': 1, "
         "'hostPort': 80}, {'containerPort': 2, 'hostPort': 80, 'protocol': 'UDP'}]}, {'name': "
         "'b', 'command': ['y'], 'ports': [{'containerPort': 3, 'hostPort': 80}]}]}}",
         "spec.containers[1].ports[0].hostPort"},
        {"hostNetwork: hostPort is containerPort",
         "{'spec': {'hostNetwork': true, 'containers': [{'name': 'a', 'command': ['x'], 'ports': "
         "[{'containerPort': 1, 'hostPort': 2}, {'containerPort': 3}]}]}}",
         "spec.containers[0].ports[0].hostPort"},
        /* securityContext.sysctls: validateSysctls and ValidateHostSysctl */
        {"safe sysctls, dots and slashes",
         "{'spec': {'securityContext': {'sysctls': [{'name': 'kernel.shm_rmid_forced', "
         "'value': '1'}, {'name': 'net/ipv4/ip_local_port_range', 'value': '1024 65535'}]}}}",
         NULL},
        {"an unsafe sysctl passes validation: the kubelet's admission decides",
         "{'spec': {'securityContext': {'sysctls': [{'name': 'net.core.somaxconn', 'value': "
         "'1024'}, {'name': 'kernel.msgmax', 'value': '1'}]}}}",
         NULL},
        {"a slash-form name with a dot inside a segment",
         "{'spec': {'securityContext': {'sysctls': [{'name': "
         "'net/ipv4/conf/eno2.100/rp_filter', 'value': '1'}]}}}",
         NULL},
        {"sysctl name required",
         "{'spec': {'securityContext': {'sysctls': [{'value': '1'}, {'name': '', 'value': "
         "'1'}]}}}",
         "spec.securityContext.sysctls[0].name | spec.securityContext.sysctls[1].name"},
        {"sysctl names as the API server's regex takes them",
         "{'spec': {'securityContext': {'sysctls': [{'name': 'Kernel.shm_rmid_forced', "
         "'value': '1'}, {'name': 'net..ipv4', 'value': '1'}, {'name': 'net.ipv4.', 'value': "
         "'1'}, {'name': '/net/ipv4', 'value': '1'}, {'name': 'net.-a', 'value': '1'}, "
         "{'name': 'net.a_', 'value': '1'}, {'name': 'net.core.*', 'value': '1'}, {'name': "
         "'net/../etc', 'value': '1'}]}}}",
         "spec.securityContext.sysctls[0].name | spec.securityContext.sysctls[1].name | "
         "spec.securityContext.sysctls[2].name | spec.securityContext.sysctls[3].name | "
         "spec.securityContext.sysctls[4].name | spec.securityContext.sysctls[5].name | "
         "spec.securityContext.sysctls[6].name | spec.securityContext.sysctls[7].name"},
        {"a sysctl twice, in dots then slashes",
         "{'spec': {'securityContext': {'sysctls': [{'name': 'net.ipv4.tcp_syncookies', "
         "'value': '1'}, {'name': 'net/ipv4/tcp_syncookies', 'value': '0'}, {'name': "
         "'net.ipv4.tcp_syncookies', 'value': '1'}]}}}",
         "spec.securityContext.sysctls[1].name | spec.securityContext.sysctls[2].name"},
        {"a sysctl value required",
         "{'spec': {'securityContext': {'sysctls': [{'name': 'kernel.shm_rmid_forced'}, "
         "{'name': 'net.ipv4.tcp_syncookies', 'value': ''}]}}}",
         "spec.securityContext.sysctls[0].value | spec.securityContext.sysctls[1].value"},
        {"a sysctl entry is an object",
         "{'spec': {'securityContext': {'sysctls': ['net.ipv4.tcp_syncookies=1', {'name': "
         "'x'}]}}}",
         "spec.securityContext.sysctls[0] | spec.securityContext.sysctls[1].value"},
        {"net sysctls with hostNetwork, IPC ones with hostIPC",
         "{'spec': {'hostNetwork': true, 'hostIPC': true, 'securityContext': {'sysctls': "
         "[{'name': 'net.core.somaxconn', 'value': '1'}, {'name': 'kernel.shm_rmid_forced', "
         "'value': '1'}, {'name': 'kernel.sem', 'value': '1 2 3 4'}, {'name': "
         "'fs/mqueue/msg_max', 'value': '10'}, {'name': 'kernel.domainname', 'value': "
         "'x'}]}}}",
         "spec.securityContext.sysctls[0].name | spec.securityContext.sysctls[1].name | "
         "spec.securityContext.sysctls[2].name | spec.securityContext.sysctls[3].name"},
        {"IPC sysctls with hostNetwork alone",
         "{'spec': {'hostNetwork': true, 'securityContext': {'sysctls': [{'name': "
         "'kernel.shm_rmid_forced', 'value': '1'}]}}}",
         NULL},
        {"every cause at once",
         "{'kind': 'Job', 'metadata': {'name': 'X'}, 'spec': {'hostname': '-h', 'restartPolicy': "
         "'No', 'containers': [{'name': 'a'}, {'name': 'a', 'command': ['x']}]}}",
         "kind | spec.restartPolicy | metadata.name | spec.hostname | spec.containers[0].command | "
         "spec.containers[1].name"},
};

START_TEST(test_rules)
{
	const struct rule_row *row = &rule_rows[_i];
	_cleanup_strv_ char **fields = NULL;
	_cleanup_free_ char *got = NULL;
	struct decoded d;

	decode(row->patch, false, &d);
	for (size_t i = 0; i < d.err.n_causes; i++)
		strv_push(&fields, strdup(d.err.causes[i].field));
	got = strv_join(fields, " | ");
	if (!row->fields) {
		ck_assert_msg(d.rc == 0, "%s: rc %d, causes: %s (%s)", row->name, d.rc, got,
		              d.err.message);
		ck_assert_ptr_nonnull(d.pod);
	} else {
		ck_assert_msg(d.rc == -EINVAL, "%s: rc %d (%s)", row->name, d.rc, d.err.message);
		ck_assert_msg(strcmp(got, row->fields) == 0, "%s: causes '%s', want '%s'",
		              row->name, got, row->fields);
		ck_assert_ptr_null(d.pod);
		ck_assert_ptr_nonnull(strstr(d.err.message, "Pod \""));
		for (size_t i = 0; i < d.err.n_causes; i++) {
			ck_assert_str_ne(d.err.causes[i].message, "");
			ck_assert_str_ne(d.err.causes[i].reason, "");
		}
	}
	decoded_done(&d);
}
END_TEST

START_TEST(test_message_quotes_values)
{
	struct decoded d;

	decode(C0 "'resources': {'requests': {'cpu': '600m'}, 'limits': {'cpu': '500m'}}}]}}",
	       false, &d);
	ck_assert_int_eq(d.rc, -EINVAL);
	ck_assert_str_eq(
	        d.err.causes[0].message,
	        "Invalid value: \"600m\": must be less than or equal to cpu limit of 500m");
	ck_assert_str_eq(d.err.message,
	                 "Pod \"p\" is invalid: spec.containers[0].resources.requests: Invalid "
	                 "value: \"600m\": must be less than or equal to cpu limit of 500m");
	decoded_done(&d);

	decode(C0 "'env': [{'name': 'A', 'value': true}], 'args': [{'a': 1}]}]}}", false, &d);
	ck_assert_int_eq(d.rc, -EINVAL);
	ck_assert_str_eq(d.err.causes[0].message, "Invalid value: true: must be a string");
	ck_assert_str_eq(d.err.causes[0].reason, "FieldValueTypeInvalid");
	ck_assert_str_eq(d.err.causes[1].message, "Invalid value: {\"a\":1}: must be a string");
	decoded_done(&d);

	/* the API server's own words for the securityContext rules */
	decode(C0 "'securityContext': {'privileged': true, 'allowPrivilegeEscalation': false}}]}}",
	       false, &d);
	ck_assert_int_eq(d.rc, -EINVAL);
	ck_assert_str_eq(d.err.causes[0].message,
	                 "Invalid value: {\"allowPrivilegeEscalation\":false,\"privileged\":true}: "
	                 "cannot set `allowPrivilegeEscalation` to false and `privileged` to true");
	decoded_done(&d);
	decode(C0 "'securityContext': {'procMount': 'Unmasked', 'capabilities': {'add': "
	          "['FLY']}}}]}}",
	       false, &d);
	ck_assert_int_eq(d.rc, -EINVAL);
	ck_assert_str_eq(d.err.causes[0].message,
	                 "Unsupported value: \"FLY\": a Linux capability such as \"NET_ADMIN\" or "
	                 "\"CAP_NET_ADMIN\" (capabilities(7)), or \"ALL\"");
	ck_assert_str_eq(
	        d.err.causes[1].message,
	        "Invalid value: \"Unmasked\": `hostUsers` must be false to use `Unmasked`");
	decoded_done(&d);
	decode("{'spec': {'securityContext': {'seccompProfile': {'type': 'Localhost'}}}}", false,
	       &d);
	ck_assert_int_eq(d.rc, -EINVAL);
	ck_assert_str_eq(d.err.causes[0].message,
	                 "Required value: must be set when seccomp type is Localhost");
	decoded_done(&d);

	/* the API server's words for ports */
	decode(C0 "'ports': [{'containerPort': 70000, 'name': '-A-'}, {'containerPort': 1, "
	          "'hostPort': 80, 'protocol': 'SCTP'}, {'containerPort': 2, 'hostPort': 80, "
	          "'protocol': 'SCTP'}]}]}}",
	       false, &d);
	ck_assert_int_eq(d.rc, -EINVAL);
	ck_assert_str_eq(d.err.causes[0].message,
	                 "Invalid value: \"-A-\": must contain only alpha-numeric characters (a-z, "
	                 "0-9), and hyphens (-)");
	ck_assert_str_eq(d.err.causes[1].message,
	                 "Invalid value: \"-A-\": must contain at least one letter (a-z)");
	ck_assert_str_eq(d.err.causes[2].message,
	                 "Invalid value: \"-A-\": must not begin or end with a hyphen");
	ck_assert_str_eq(d.err.causes[3].message,
	                 "Invalid value: 70000: must be between 1 and 65535, inclusive");
	ck_assert_str_eq(d.err.causes[4].field, "spec.containers[0].ports[2].hostPort");
	ck_assert_str_eq(d.err.causes[4].message, "Duplicate value: \"SCTP//80\"");
	decoded_done(&d);
	decode("{'spec': {'hostNetwork': true, 'containers': [{'name': 'a', 'command': ['x'], "
	       "'ports': [{'containerPort': 1, 'hostPort': 2}]}]}}",
	       false, &d);
	ck_assert_int_eq(d.rc, -EINVAL);
	ck_assert_str_eq(d.err.causes[0].message,
	                 "Invalid value: 2: must match `containerPort` when `hostNetwork` is true");
	decoded_done(&d);
	/* validateSysctls' and ValidateHostSysctl's words */
	decode("{'spec': {'hostNetwork': true, 'hostIPC': true, 'securityContext': {'sysctls': "
	       "[{'name': 'net.ipv4.tcp_syncookies', 'value': '1'}, {'name': "
	       "'kernel.shm_rmid_forced', 'value': '1'}, {'name': 'Bad', 'value': '1'}, {'name': "
	       "'kernel.shm_rmid_forced', 'value': '1'}]}}}",
	       false, &d);
	ck_assert_int_eq(d.rc, -EINVAL);
	ck_assert_int_eq(d.err.n_causes, 5);
	ck_assert_str_eq(d.err.causes[0].reason, "FieldValueInvalid");
	ck_assert_str_eq(d.err.causes[0].message,
	                 "Invalid value: \"net.ipv4.tcp_syncookies\": may not be specified when "
	                 "'hostNetwork' is true");
	ck_assert_str_eq(d.err.causes[1].message,
	                 "Invalid value: \"kernel.shm_rmid_forced\": may not be specified when "
	                 "'hostIPC' is true");
	ck_assert_str_eq(d.err.causes[2].field, "spec.securityContext.sysctls[2].name");
	ck_assert_str_eq(d.err.causes[2].message,
	                 "Invalid value: \"Bad\": must have at most 253 characters and match regex "
	                 "^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$");
	ck_assert_str_eq(d.err.causes[3].reason, "FieldValueDuplicate");
	ck_assert_str_eq(d.err.causes[3].message, "Duplicate value: \"kernel.shm_rmid_forced\"");
	ck_assert_str_eq(d.err.causes[4].field, "spec.securityContext.sysctls[3].name");
	decoded_done(&d);
	decode("{'spec': {'securityContext': {'sysctls': [{'name': 'kernel.shm_rmid_forced'}]}}}",
	       false, &d);
	ck_assert_str_eq(d.err.message, "Pod \"p\" is invalid: "
	                                "spec.securityContext.sysctls[0].value: Required value");
	decoded_done(&d);

	decode("{'spec': {'restartPolicy': 'x', 'hostname': 'A'}}", false, &d);
	ck_assert_int_eq(d.rc, -EINVAL);
	ck_assert_str_eq(d.err.causes[0].reason, "FieldValueNotSupported");
	ck_assert_ptr_nonnull(strstr(d.err.message, "is invalid: [spec.restartPolicy: "));
	decoded_done(&d);
}
END_TEST

/* ---- model, defaults, warnings -------------------------------------------------------------- */

/* securityContext.sysctls is read as written (the plan normalizes), with no warning: it is
 * implemented. */
/* ---- kubernetes.io/{ingress,egress}-bandwidth, as the kubelet reads them ------------------- */

static const struct {
	const char *name;
	const char *ingress, *egress; /* NULL: absent */
	int64_t want_ingress, want_egress;
	const char *message; /* the first cause's, NULL: valid */
} bandwidth_rows[] = {
        {"absent is no shaping", NULL, NULL, 0, 0, NULL},
        {"bits per second with SI suffixes", "10M", "1G", 10000000, 1000000000, NULL},
        {"a binary suffix and a plain number", "1Mi", "8000", 1048576, 8000, NULL},
        {"1k is the smallest", "1k", NULL, 1000, 0, NULL},
        {"a fraction is rounded up, as Value() does", "1.0001k", NULL, 1001, 0, NULL},
        {"under 1k is unreasonably small", "999", NULL, 0, 0,
         "Invalid value: \"999\": resource is unreasonably small (< 1kbit)"},
        {"zero is unreasonably small", NULL, "0", 0, 0,
         "Invalid value: \"0\": resource is unreasonably small (< 1kbit)"},
        {"negative is unreasonably small", NULL, "-10M", 0, 0,
         "Invalid value: \"-10M\": resource is unreasonably small (< 1kbit)"},
        {"over 1P is unreasonably large", "2P", NULL, 0, 0,
         "Invalid value: \"2P\": resource is unreasonably large (> 1Pbit)"},
        {"past int64 is unreasonably large", "10E", NULL, 0, 0,
         "Invalid value: \"10E\": resource is unreasonably large (> 1Pbit)"},
        {"a quantity's syntax", NULL, "10Mbps", 0, 0,
         "Invalid value: \"10Mbps\": quantities must match the regular expression "
         "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"},
        {"the highest rate a tbf takes", "17179869176", NULL, 17179869176, 0, NULL},
        {"above what a tbf takes is refused", NULL, "20G", 0, 0,
         "Invalid value: \"20G\": nanolet shapes at most 17179869176 bits per second (a "
         "tbf's rate is 2^31-1 bytes per second through libnl-route)"},
};

START_TEST(test_bandwidth_annotations)
{
	_cleanup_free_ char *patch = NULL;
	_cleanup_json_ json_t *annotations = json_object();
	_cleanup_free_ char *text = NULL;
	struct decoded d;

	if (bandwidth_rows[_i].ingress)
		json_object_set_new(annotations, "kubernetes.io/ingress-bandwidth",
		                    json_string(bandwidth_rows[_i].ingress));
	if (bandwidth_rows[_i].egress)
		json_object_set_new(annotations, "kubernetes.io/egress-bandwidth",
		                    json_string(bandwidth_rows[_i].egress));
	text = json_dumps(annotations, JSON_COMPACT);
	for (char *p = text; *p; p++)
		if (*p == '"')
			*p = '\'';
	patch = strdupf("{'metadata': {'annotations': %s}}", text);
	decode(patch, false, &d);
	if (!bandwidth_rows[_i].message) {
		ck_assert_msg(d.rc == 0, "%s: %s", bandwidth_rows[_i].name, d.err.message);
		ck_assert_int_eq(d.pod->ingress_bandwidth, bandwidth_rows[_i].want_ingress);
		ck_assert_int_eq(d.pod->egress_bandwidth, bandwidth_rows[_i].want_egress);
	} else {
		ck_assert_int_eq(d.rc, -EINVAL);
		ck_assert_uint_eq(d.err.n_causes, 1);
		ck_assert_str_eq(d.err.causes[0].field,
		                 bandwidth_rows[_i].ingress
		                         ? "metadata.annotations[kubernetes.io/ingress-bandwidth]"
		                         : "metadata.annotations[kubernetes.io/egress-bandwidth]");
		ck_assert_str_eq(d.err.causes[0].reason, "FieldValueInvalid");
		ck_assert_str_eq(d.err.causes[0].message, bandwidth_rows[_i].message);
	}
	decoded_done(&d);
}
END_TEST

START_TEST(test_sysctls_model)
{
	struct decoded d;

	decode("{'spec': {'securityContext': {'sysctls': [{'name': 'net/ipv4/tcp_syncookies', "
	       "'value': '0'}, {'name': 'kernel.shm_rmid_forced', 'value': '1'}]}}}",
	       false, &d);
	ck_assert_msg(d.rc == 0, "%s", d.err.message);
	ck_assert_uint_eq(d.pod->security_context.n_sysctls, 2);
	ck_assert_str_eq(d.pod->security_context.sysctls[0].name, "net/ipv4/tcp_syncookies");
	ck_assert_str_eq(d.pod->security_context.sysctls[0].value, "0");
	ck_assert_str_eq(d.pod->security_context.sysctls[1].name, "kernel.shm_rmid_forced");
	ck_assert_uint_eq(d.pod->security_context.sysctls[1].index, 1);
	ck_assert_ptr_null(d.warnings);
	decoded_done(&d);
}
END_TEST

/* Every securityContext field nanolet enforces is read into the model, and none of them is
 * "not implemented; ignored" any more. */
START_TEST(test_security_model)
{
	const struct spec_security_context *sc;
	struct decoded d;

	decode("{'spec': {'securityContext': {'runAsNonRoot': true, 'seccompProfile': {'type': "
	       "'Localhost', 'localhostProfile': 'a/b.json'}}, 'hostUsers': false, 'containers': "
	       "[{'name': 'app', 'command': ['x'], 'securityContext': {'privileged': false, "
	       "'runAsNonRoot': false, 'procMount': 'Unmasked', 'capabilities': {'add': "
	       "['NET_RAW'], "
	       "'drop': ['ALL']}, 'seccompProfile': {'type': 'Unconfined'}}}]}}",
	       true, &d);
	ck_assert_msg(d.rc == 0, "%s", d.err.message);
	ck_assert_uint_eq(strv_len(d.warnings), 0);
	ck_assert_int_eq(d.pod->security_context.run_as_non_root, SPEC_BOOL_TRUE);
	ck_assert_int_eq(d.pod->security_context.seccomp_profile.type, SPEC_SECCOMP_LOCALHOST);
	ck_assert_str_eq(d.pod->security_context.seccomp_profile.localhost_profile, "a/b.json");
	sc = &d.pod->containers[0].security_context;
	ck_assert_int_eq(sc->privileged, SPEC_BOOL_FALSE);
	ck_assert_int_eq(sc->run_as_non_root, SPEC_BOOL_FALSE);
	ck_assert_int_eq(sc->proc_mount, SPEC_PROC_MOUNT_UNMASKED);
	ck_assert_str_eq(sc->capabilities_add[0], "NET_RAW");
	ck_assert_str_eq(sc->capabilities_drop[0], "ALL");
	ck_assert_int_eq(sc->seccomp_profile.type, SPEC_SECCOMP_UNCONFINED);
	decoded_done(&d);

	decode(NULL, false, &d);
	ck_assert_int_eq(d.rc, 0);
	sc = &d.pod->containers[0].security_context;
	ck_assert_int_eq(sc->seccomp_profile.type, SPEC_SECCOMP_UNSET);
	ck_assert_int_eq(sc->privileged, SPEC_BOOL_UNSET);
	ck_assert_ptr_null(sc->capabilities_add);
	decoded_done(&d);
}
END_TEST

START_TEST(test_defaults_and_model)
{
	struct decoded d;
	json_t *spec, *c;

	decode(C0 "'args': ['-c', 'x'], 'env': [{'name': 'A', 'value': 'b'}], 'resources': "
	          "{'limits': {'cpu': '500m', 'memory': '0.5'}}}]}}",
	       false, &d);
	ck_assert_int_eq(d.rc, 0);
	spec = json_object_get(d.pod->object, "spec");
	c = json_array_get(json_object_get(spec, "containers"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(spec, "restartPolicy")), "Always");
	ck_assert_int_eq(json_integer_value(json_object_get(spec, "terminationGracePeriodSeconds")),
	                 30);
	ck_assert_str_eq(json_string_value(json_object_get(
	                         json_object_get(d.pod->object, "metadata"), "namespace")),
	                 "default");
	/* requests default to limits, as the API server does */
	ck_assert_str_eq(
	        json_string_value(json_object_get(
	                json_object_get(json_object_get(c, "resources"), "requests"), "cpu")),
	        "500m");
	ck_assert_str_eq(d.pod->namespace, "default");
	ck_assert_int_eq(d.pod->restart_policy, SPEC_RESTART_ALWAYS);
	ck_assert_int_eq(d.pod->termination_grace_period_seconds, 30);
	ck_assert_int_eq(d.pod->containers[0].resources.cpu_limit_milli, 500);
	ck_assert_int_eq(d.pod->containers[0].resources.cpu_request_milli, 500);
	ck_assert_int_eq(d.pod->containers[0].resources.memory_limit, 1); /* rounded up */
	ck_assert_int_eq(d.pod->containers[0].resources.memory_request, 1);
	ck_assert_str_eq(d.pod->containers[0].args[1], "x");
	ck_assert_str_eq(d.pod->containers[0].env[0].value, "b");
	ck_assert_int_eq(d.pod->host_users, SPEC_BOOL_UNSET);
	ck_assert_int_eq(d.pod->pids_limit_annotation, SPEC_UNSET);
	ck_assert_int_eq(d.pod->security_context.run_as_user, SPEC_UNSET);
	ck_assert_ptr_null(d.warnings);
	decoded_done(&d);

	/* ports: protocol TCP by default; with hostNetwork, hostPort is containerPort */
	decode("{'spec': {'hostNetwork': true, 'containers': [{'name': 'a', 'command': ['x'], "
	       "'ports': [{'containerPort': 80, 'name': 'http'}, {'containerPort': 53, 'hostPort': "
	       "53, 'protocol': 'UDP', 'hostIP': '198.18.0.1'}]}]}}",
	       true, &d);
	ck_assert_msg(d.rc == 0, "%s", d.err.message);
	ck_assert_ptr_null(d.warnings);
	ck_assert_uint_eq(d.pod->containers[0].n_ports, 2);
	ck_assert_str_eq(d.pod->containers[0].ports[0].name, "http");
	ck_assert_str_eq(d.pod->containers[0].ports[0].protocol, "TCP");
	ck_assert_int_eq(d.pod->containers[0].ports[0].container_port, 80);
	ck_assert_int_eq(d.pod->containers[0].ports[0].host_port, 80);
	ck_assert_ptr_null(d.pod->containers[0].ports[0].host_ip);
	ck_assert_str_eq(d.pod->containers[0].ports[1].protocol, "UDP");
	ck_assert_str_eq(d.pod->containers[0].ports[1].host_ip, "198.18.0.1");
	c = json_array_get(json_object_get(json_object_get(d.pod->object, "spec"), "containers"),
	                   0);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                         json_array_get(json_object_get(c, "ports"), 0), "hostPort")),
	                 80);
	decoded_done(&d);
	decode(C0 "'ports': [{'containerPort': 80}]}]}}", false, &d);
	ck_assert_int_eq(d.rc, 0);
	ck_assert_int_eq(d.pod->containers[0].ports[0].host_port, 0);
	ck_assert_str_eq(d.pod->containers[0].ports[0].protocol, "TCP");
	decoded_done(&d);
}
END_TEST

START_TEST(test_unknown_fields_pruned_with_warning)
{
	struct decoded d;

	decode("{'spec': {'foo': 1, 'tolerations': [], 'containers': [{'name': 'app', 'command': "
	       "['x'], 'bar': true, 'stdin': true, 'resources': {'limits': "
	       "{'nvidia.com/gpu': 1}}}]}}",
	       false, &d);
	ck_assert_msg(d.rc == 0, "%s", d.err.message);
	ck_assert_ptr_nonnull(d.warnings);
	ck_assert(strv_contains(d.warnings, "unknown field \"spec.foo\""));
	ck_assert(strv_contains(d.warnings, "unknown field \"spec.containers[0].bar\""));
	ck_assert(
	        strv_contains(d.warnings, "spec.tolerations: not implemented by nanolet; ignored"));
	ck_assert(strv_contains(d.warnings,
	                        "spec.containers[0].stdin: not implemented by nanolet; ignored"));
	ck_assert(strv_contains(d.warnings, "spec.containers[0].resources.limits.nvidia.com/gpu: "
	                                    "only cpu and memory are implemented by nanolet; "
	                                    "ignored"));
	ck_assert_int_eq(strv_len(d.warnings), 5);
	/* unknown fields are pruned; known-but-ignored ones kept */
	ck_assert_ptr_null(json_object_get(json_object_get(d.pod->object, "spec"), "foo"));
	ck_assert_ptr_nonnull(
	        json_object_get(json_object_get(d.pod->object, "spec"), "tolerations"));
	decoded_done(&d);
}
END_TEST

/* SetDefaults_Container's imagePullPolicy, kept in the object as the API server writes it, and
 * read into the model; imagePullSecrets kept, with a warning that nanolet has no secrets. */
START_TEST(test_image_pull_policy)
{
	static const struct {
		const char *image, *policy; /* policy NULL: absent */
		const char *defaulted;
		enum image_pull_policy model;
	} rows[] = {
	        {"busybox", NULL, "Always", IMAGE_PULL_ALWAYS},
	        {"busybox:latest", NULL, "Always", IMAGE_PULL_ALWAYS},
	        {"busybox:1.36", NULL, "IfNotPresent", IMAGE_PULL_IF_NOT_PRESENT},
	        {"127.0.0.1:5000/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef012345"
	         "6789abcdef",
	         NULL, "IfNotPresent", IMAGE_PULL_IF_NOT_PRESENT},
	        {"/srv/rootfs", NULL, "IfNotPresent", IMAGE_PULL_IF_NOT_PRESENT},
	        {"busybox", "", "Always", IMAGE_PULL_ALWAYS},
	        {"busybox", "Never", "Never", IMAGE_PULL_NEVER},
	        {"busybox:1.36", "Always", "Always", IMAGE_PULL_ALWAYS},
	};

	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		_cleanup_free_ char *patch =
		        rows[k].policy ? strdupf(C0 "'image': '%s', 'imagePullPolicy': '%s'}]}}",
		                                 rows[k].image, rows[k].policy)
		                       : strdupf(C0 "'image': '%s'}]}}", rows[k].image);
		struct decoded d;
		json_t *c;

		decode(patch, false, &d);
		ck_assert_msg(d.rc == 0, "%s: %s", rows[k].image, d.err.message);
		c = json_array_get(
		        json_object_get(json_object_get(d.pod->object, "spec"), "containers"), 0);
		ck_assert_str_eq(json_string_value(json_object_get(c, "imagePullPolicy")),
		                 rows[k].defaulted);
		ck_assert_int_eq(d.pod->containers[0].image_pull_policy, rows[k].model);
		decoded_done(&d);
	}
}
END_TEST

START_TEST(test_image_pull_secrets_warning)
{
	struct decoded d;

	decode("{'spec': {'imagePullSecrets': [{'name': 'regcred'}]}}", false, &d);
	ck_assert_msg(d.rc == 0, "%s", d.err.message);
	ck_assert(strv_contains(
	        d.warnings, "spec.imagePullSecrets: nanolet has no secrets: ignored; images are "
	                    "pulled with the node's registry_auth_file"));
	ck_assert_ptr_nonnull(
	        json_object_get(json_object_get(d.pod->object, "spec"), "imagePullSecrets"));
	decoded_done(&d);
}
END_TEST

START_TEST(test_strict_refuses)
{
	struct decoded d;

	decode("{'spec': {'foo': 1, 'nodeSelector': {'a': 'b'}}}", true, &d);
	ck_assert_int_eq(d.rc, -EBADMSG);
	ck_assert_str_eq(
	        d.err.message,
	        "strict decoding error: unknown field \"spec.foo\", spec.nodeSelector: not "
	        "implemented by nanolet; ignored");
	/* the error says it all: no Warning beside it, as the API server sends none */
	ck_assert_int_eq(strv_len(d.warnings), 0);
	decoded_done(&d);

	decode(NULL, true, &d);
	ck_assert_int_eq(d.rc, 0);
	decoded_done(&d);
}
END_TEST

/* max_containers: a 1 MiB body of 30000 containers once made an 87 MB plan. */
static int decode_containers(size_t n, size_t max, struct nano_err *err)
{
	_cleanup_json_ json_t *doc = pod_with(NULL);
	json_t *containers = json_object_get(json_object_get(doc, "spec"), "containers");
	struct spec_decode_options o = {.path_namespace = "default", .max_containers = max};
	_cleanup_strv_ char **w = NULL;
	_cleanup_pod_ struct spec_pod *pod = NULL;

	for (size_t i = 1; i < n; i++) {
		json_t *c = json_deep_copy(json_array_get(containers, 0));

		json_object_set_new(c, "name", json_sprintf("c%zu", i));
		json_array_append_new(containers, c);
	}
	return spec_pod_decode(doc, &o, &pod, &w, err);
}

START_TEST(test_max_containers)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	ck_assert_int_eq(decode_containers(3, 3, &err), 0);
	ck_assert_int_eq(decode_containers(4, 0, &err), 0);
	ck_assert_int_eq(decode_containers(4, 3, &err), -EINVAL);
	ck_assert_uint_eq(err.n_causes, 1);
	ck_assert_str_eq(err.causes[0].field, "spec.containers");
	ck_assert_str_eq(err.causes[0].reason, "FieldValueTooMany");
	ck_assert_str_eq(err.causes[0].message,
	                 "Too many: 4: must have at most 3 items (max_pod_containers)");
}
END_TEST

START_TEST(test_namespace_and_shape)
{
	struct spec_decode_options o = {.path_namespace = "default"};
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *doc = pod_with("{'metadata': {'namespace': 'other'}}");
	_cleanup_json_ json_t *arr = json_array();
	_cleanup_strv_ char **w = NULL;
	struct spec_pod *pod = NULL;

	ck_assert_int_eq(spec_pod_decode(doc, &o, &pod, &w, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.message, "does not match the namespace"));
	ck_assert_int_eq(spec_pod_decode(arr, &o, &pod, &w, &err), -EBADMSG);
	ck_assert_int_eq(spec_pod_decode(json_null(), &o, &pod, &w, &err), -EBADMSG);
	ck_assert_ptr_null(pod);
}
END_TEST

START_TEST(test_name_length)
{
	char patch[400], name[300];
	struct decoded d;

	/* 253 characters in labels of 63 fit a subdomain; one more does not */
	for (size_t len = 253; len <= 254; len++) {
		memset(name, 'a', len);
		name[len] = '\0';
		for (size_t i = 63; i < len; i += 64)
			name[i] = '.';
		snprintf(patch, sizeof(patch), "{'metadata': {'name': '%s'}}", name);
		decode(patch, false, &d);
		ck_assert_int_eq(d.rc, len == 253 ? 0 : -EINVAL);
		decoded_done(&d);
	}
}
END_TEST

/* Templated manifests leave `limits:` and `requests:` empty: YAML nulls, both the one jansson
 * null. Decoding them once looped forever (issue 11). */
START_TEST(test_empty_resources_yaml)
{
	static const char yaml[] = "apiVersion: v1\n"
	                           "kind: Pod\n"
	                           "metadata:\n"
	                           "  name: p\n"
	                           "spec:\n"
	                           "  containers:\n"
	                           "  - name: app\n"
	                           "    image: host\n"
	                           "    command: [/bin/true]\n"
	                           "    resources:\n"
	                           "      limits:\n"
	                           "      requests:\n";
	struct spec_decode_options o = {.path_namespace = "default"};
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_strv_ char **w = NULL;
	_cleanup_pod_ struct spec_pod *pod = NULL;

	ck_assert_int_eq(spec_document_decode(yaml, strlen(yaml), SPEC_FORMAT_YAML, &doc, &err), 0);
	ck_assert_int_eq(spec_pod_decode(doc, &o, &pod, &w, &err), 0);
	ck_assert_int_eq(pod->containers[0].resources.cpu_limit_milli, SPEC_UNSET);
	ck_assert_int_eq(pod->containers[0].resources.memory_request, SPEC_UNSET);
}
END_TEST

struct qos_row {
	const char *patch;
	enum spec_qos qos;
};

static const struct qos_row qos_rows[] = {
        {NULL, SPEC_QOS_BESTEFFORT},
        {C0 "'resources': {'limits': {'cpu': '1', 'memory': '1Gi'}}}]}}", SPEC_QOS_GUARANTEED},
        {C0 "'resources': {'limits': {'cpu': '1', 'memory': '1Gi'}, 'requests': {'cpu': '1', "
            "'memory': '1Gi'}}}]}}",
         SPEC_QOS_GUARANTEED},
        {C0 "'resources': {'limits': {'cpu': '1', 'memory': '1Gi'}, 'requests': {'cpu': "
            "'500m'}}}]}}",
         SPEC_QOS_BURSTABLE},
        {C0 "'resources': {'limits': {'memory': '1Gi'}}}]}}", SPEC_QOS_BURSTABLE},
        {C0 "'resources': {'requests': {'cpu': '100m'}}}]}}", SPEC_QOS_BURSTABLE},
        {"{'spec': {'containers': [{'name': 'a', 'command': ['x'], 'resources': {'limits': {'cpu': "
         "'1', 'memory': '1Gi'}}}, {'name': 'b', 'command': ['x']}]}}",
         SPEC_QOS_BURSTABLE},
};

START_TEST(test_qos)
{
	struct decoded d;

	decode(qos_rows[_i].patch, false, &d);
	ck_assert_int_eq(d.rc, 0);
	ck_assert_msg(spec_pod_qos(d.pod) == qos_rows[_i].qos, "row %d: %s", _i,
	              spec_qos_name(spec_pod_qos(d.pod)));
	decoded_done(&d);
}
END_TEST

static Suite *validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_rules, 0, (int)ELEMENTSOF(rule_rows));
	tcase_add_test(tc, test_message_quotes_values);
	tcase_add_loop_test(tc, test_bandwidth_annotations, 0, (int)ELEMENTSOF(bandwidth_rows));
	tcase_add_test(tc, test_name_length);
	tcase_add_test(tc, test_defaults_and_model);
	tcase_add_test(tc, test_security_model);
	tcase_add_test(tc, test_sysctls_model);
	tcase_add_test(tc, test_unknown_fields_pruned_with_warning);
	tcase_add_test(tc, test_image_pull_policy);
	tcase_add_test(tc, test_image_pull_secrets_warning);
	tcase_add_test(tc, test_strict_refuses);
	tcase_add_test(tc, test_namespace_and_shape);
	tcase_add_test(tc, test_empty_resources_yaml);
	tcase_add_test(tc, test_max_containers);
	tcase_add_loop_test(tc, test_qos, 0, (int)ELEMENTSOF(qos_rows));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(validate_suite());
}
