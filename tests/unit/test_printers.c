/* tests/unit/test_printers.c: pkg/printers — the rows of Kubernetes' printers_test.go that apply
 * (TestPrintPod, TestPrintPodWithRestartableInitContainer, TestPrintPodwide,
 * TestPrintPodConditions, the events' and nodes' cells) with the clock fixed, the Table around
 * them (columns as the API server sends them, ?includeObject=, list metadata, no_headers for a
 * watch), the Accept negotiation, and duration.HumanDuration's cases. Pure: no files.
 *
 * Objects are written with ' for " to stay readable.
 */
#include "check_main.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "printers/printers.h"

/* 2024-05-01T12:00:00Z */
#define NOW 1714564800

static json_t *load(const char *text)
{
	char *s = strdup(text);
	json_error_t error;
	json_t *j;

	ck_assert_ptr_nonnull(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, 0, &error);
	if (!j)
		ck_abort_msg("bad test JSON (%s): %s", error.text, s);
	free(s);
	return j;
}

static char *cells_text(const json_t *row, size_t n)
{
	json_t *cells = json_array();
	char *out;

	for (size_t i = 0; i < n && i < json_array_size(json_object_get(row, "cells")); i++)
		json_array_append(cells, json_array_get(json_object_get(row, "cells"), i));
	out = json_dumps(cells, JSON_COMPACT);
	json_decref(cells);
	return out;
}

/* The first row of obj's Table: its first n cells as compact JSON, and its conditions. */
static void expect_row(const char *obj_text, size_t n, const char *cells, const char *conditions)
{
	struct printers_options options = {.now_s = NOW};
	json_t *obj = load(obj_text), *table = printers_table(obj, &options), *row, *want;
	char *got, *got_conditions;

	ck_assert_ptr_nonnull(table);
	row = json_array_get(json_object_get(table, "rows"), 0);
	got = cells_text(row, n);
	want = load(cells);
	char *want_text = json_dumps(want, JSON_COMPACT);
	ck_assert_msg(strcmp(got, want_text) == 0, "%s\n  got  %s\n  want %s", obj_text, got,
	              want_text);
	got_conditions =
	        json_dumps(json_object_get(row, "conditions"), JSON_COMPACT | JSON_ENCODE_ANY);
	if (conditions) {
		json_t *wc = load(conditions);
		char *wc_text = json_dumps(wc, JSON_COMPACT);

		ck_assert_msg(got_conditions && strcmp(got_conditions, wc_text) == 0,
		              "conditions %s, want %s", got_conditions ? got_conditions : "none",
		              wc_text);
		free(wc_text);
		json_decref(wc);
	} else {
		ck_assert_msg(!got_conditions, "conditions %s, want none", got_conditions);
	}
	free(got_conditions);
	free(want_text);
	free(got);
	json_decref(want);
	json_decref(table);
	json_decref(obj);
}

#define SUCCEEDED                                                                                  \
	"[{'type':'Completed','status':'True','reason':'Succeeded','message':'The pod has "        \
	"completed successfully.'}]"
#define FAILED                                                                                     \
	"[{'type':'Completed','status':'True','reason':'Failed','message':'The pod failed.'}]"
#define RUNNING "{'running':{}}"
#define AGO_10S "'2024-05-01T11:59:50Z'"
#define AGO_20S "'2024-05-01T11:59:40Z'"
#define AGO_2M  "'2024-05-01T11:58:00Z'"
#define LAST(t) "'lastState':{'terminated':{'exitCode':0,'finishedAt':" t "}}"

/* printers_test.go TestPrintPod and TestPrintPodConditions: STATUS, READY and RESTARTS. */
static const struct {
	const char *name, *pod, *cells, *conditions;
} pod_cases[] = {
        {"name, containers, restarts, ready",
         "{'kind':'Pod','metadata':{'name':'test1'},'spec':{'containers':[{},{}]},'status':{"
         "'phase':'podPhase','containerStatuses':[{'ready':true,'restartCount':3,'state':" RUNNING
         "},{'restartCount':3}]}}",
         "['test1','1/2','podPhase','6','<unknown>']", NULL},
        {"a container's waiting reason overwrites the phase",
         "{'kind':'Pod','metadata':{'name':'test2'},'spec':{'containers':[{},{}]},'status':{"
         "'phase':'podPhase','containerStatuses':[{'ready':true,'restartCount':3,'state':" RUNNING
         "},{'state':{'waiting':{'reason':'ContainerWaitingReason'}},'restartCount':3}]}}",
         "['test2','1/2','ContainerWaitingReason','6','<unknown>']", NULL},
        {"the first container overwrites the rest",
         "{'kind':'Pod','metadata':{'name':'test3'},'spec':{'containers':[{},{}]},'status':{"
         "'phase':'podPhase','containerStatuses':[{'state':{'waiting':{'reason':"
         "'ContainerWaitingReason'}},'restartCount':3},{'state':{'terminated':{'reason':"
         "'ContainerTerminatedReason'}},'restartCount':3}]}}",
         "['test3','0/2','ContainerWaitingReason','6','<unknown>']", NULL},
        {"ready is not enough for running",
         "{'kind':'Pod','metadata':{'name':'test4'},'spec':{'containers':[{},{}]},'status':{"
         "'phase':'podPhase','containerStatuses':[{'ready':true,'restartCount':3,'state':" RUNNING
         "},{'ready':true,'restartCount':3}]}}",
         "['test4','1/2','podPhase','6','<unknown>']", NULL},
        {"the pod's reason over its phase",
         "{'kind':'Pod','metadata':{'name':'test5'},'spec':{'containers':[{},{}]},'status':{"
         "'reason':'podReason','phase':'podPhase','containerStatuses':[{'ready':true,"
         "'restartCount':3,'state':" RUNNING "},{'ready':true,'restartCount':3}]}}",
         "['test5','1/2','podReason','6','<unknown>']", NULL},
        {"one running, one completed, not Ready: NotReady",
         "{'kind':'Pod','metadata':{'name':'test6'},'spec':{'containers':[{},{}]},'status':{"
         "'phase':'Running','containerStatuses':[{'ready':true,'restartCount':3,'state':{"
         "'terminated':{'reason':'Completed','exitCode':0}}},{'ready':true,'restartCount':3,"
         "'state':" RUNNING "}]}}",
         "['test6','1/2','NotReady','6','<unknown>']", NULL},
        {"one running, one completed, Ready: Running",
         "{'kind':'Pod','metadata':{'name':'test6'},'spec':{'containers':[{},{}]},'status':{"
         "'phase':'Running','containerStatuses':[{'ready':true,'restartCount':3,'state':{"
         "'terminated':{'reason':'Completed','exitCode':0}}},{'ready':true,'restartCount':3,"
         "'state':" RUNNING "}],'conditions':[{'type':'Ready','status':'True'}]}}",
         "['test6','1/2','Running','6','<unknown>']", NULL},
        {"an init container restarting: Init:0/1",
         "{'kind':'Pod','metadata':{'name':'test7'},'spec':{'initContainers':[{}],'containers':[{"
         "}]},'status':{'phase':'podPhase','initContainerStatuses':[{'ready':false,"
         "'restartCount':3,'state':" RUNNING
         "," LAST(AGO_10S) "}],'containerStatuses':[{"
                           "'ready':false,'restartCount':0,'state':{'waiting':{}}}]}}",
         "['test7','0/1','Init:0/1','3 (10s ago)','<unknown>']", NULL},
        {"two init containers, the first restarting: Init:0/2",
         "{'kind':'Pod','metadata':{'name':'test8'},'spec':{'initContainers':[{},{}],"
         "'containers':[{}]},'status':{'phase':'podPhase','initContainerStatuses':[{'ready':"
         "false,'restartCount':3,'state':" RUNNING
         "," LAST(AGO_10S) "},{'ready':false,'state':"
                           "{'waiting':{}}}],'containerStatuses':[{'ready':false,'state':{'waiting'"
                           ":{}}}]}}",
         "['test8','0/1','Init:0/2','3 (10s ago)','<unknown>']", NULL},
        {"the first init container done, the second restarting: Init:1/2",
         "{'kind':'Pod','metadata':{'name':'test9'},'spec':{'initContainers':[{},{}],"
         "'containers':[{}]},'status':{'phase':'podPhase','initContainerStatuses':[{'ready':"
         "false,'state':{'terminated':{}}},{'ready':false,'restartCount':3,'state':" RUNNING
         "," LAST(AGO_10S) "}],'containerStatuses':[{'ready':false,'state':{'waiting':{}}}]}}",
         "['test9','0/1','Init:1/2','3 (10s ago)','<unknown>']", NULL},
        {"init restarts add up while initializing",
         "{'kind':'Pod','metadata':{'name':'test10'},'spec':{'initContainers':[{},{}],"
         "'containers':[{}]},'status':{'phase':'podPhase','initContainerStatuses':[{'ready':"
         "false,'restartCount':2,'state':{'terminated':{}}," LAST(
                 AGO_2M) "},{'ready':false,"
                         "'restartCount':3,'state':" RUNNING
                         "," LAST(AGO_10S) "}],'containerStatuses':[{"
                                           "'ready':false,'state':{'waiting':{}}}]}}",
         "['test10','0/1','Init:1/2','5 (10s ago)','<unknown>']", NULL},
        {"initialized: only the containers' restarts count",
         "{'kind':'Pod','metadata':{'name':'test11'},'spec':{'initContainers':[{}],"
         "'containers':[{}]},'status':{'phase':'Running','initContainerStatuses':[{'ready':"
         "false,'restartCount':2,'state':{'terminated':{}}," LAST(
                 AGO_2M) "}],"
                         "'containerStatuses':[{'ready':false,'restartCount':4,'state':" RUNNING
                         "," LAST(AGO_20S) "}]}}",
         "['test11','0/1','Running','4 (20s ago)','<unknown>']", NULL},
        {"restarted 5d ago",
         "{'kind':'Pod','metadata':{'name':'test12'},'spec':{'containers':[{}]},'status':{"
         "'phase':'Running','containerStatuses':[{'ready':true,'restartCount':3,'state':" RUNNING
         "," LAST("'2024-04-26T12:00:00Z'") "}]}}",
         "['test12','1/1','Running','3 (5d ago)','<unknown>']", NULL},
        {"one never restarted, the other 10d ago",
         "{'kind':'Pod','metadata':{'name':'test13'},'spec':{'containers':[{},{}]},'status':{"
         "'phase':'Running','containerStatuses':[{'ready':true,'restartCount':0,'state':" RUNNING
         "},{'ready':true,'restartCount':3,'state':" RUNNING
         "," LAST("'2024-04-21T12:00:00Z'") "}]}}",
         "['test13','2/2','Running','3 (10d ago)','<unknown>']", NULL},
        {"the newest restart: 5d ago, not 20d",
         "{'kind':'Pod','metadata':{'name':'test14'},'spec':{'containers':[{},{}]},'status':{"
         "'phase':'Running','containerStatuses':[{'ready':true,'restartCount':6,'state':" RUNNING
         "," LAST("'2024-04-26T12:00:00Z'") "},{'ready':true,'restartCount':3,'state':" RUNNING
                                            "," LAST("'2024-04-11T12:00:00Z'") "}]}}",
         "['test14','2/2','Running','9 (5d ago)','<unknown>']", NULL},
        {"SchedulingGated",
         "{'kind':'Pod','metadata':{'name':'test15'},'spec':{'containers':[{},{}]},'status':{"
         "'phase':'podPhase','conditions':[{'type':'PodScheduled','status':'False','reason':"
         "'SchedulingGated'}]}}",
         "['test15','0/2','SchedulingGated','0','<unknown>']", NULL},
        {"Succeeded: Completed, with the row condition",
         "{'kind':'Pod','metadata':{'name':'test16'},'spec':{'containers':[{}]},'status':{"
         "'phase':'Succeeded','containerStatuses':[{'ready':false,'restartCount':0,'state':{"
         "'terminated':{'reason':'Completed','exitCode':0}}}]}}",
         "['test16','0/1','Completed','0','<unknown>']", SUCCEEDED},
        {"Failed: Error, with the row condition",
         "{'kind':'Pod','metadata':{'name':'test17'},'spec':{'containers':[{}]},'status':{"
         "'phase':'Failed','containerStatuses':[{'ready':false,'restartCount':0,'state':{"
         "'terminated':{'reason':'Error','exitCode':1}}}]}}",
         "['test17','0/1','Error','0','<unknown>']", FAILED},
        {"Succeeded and deleted: still Completed",
         "{'kind':'Pod','metadata':{'name':'test18','deletionTimestamp':" AGO_10S "},'spec':{"
         "'containers':[{}]},'status':{'phase':'Succeeded','containerStatuses':[{'ready':false,"
         "'restartCount':0,'state':{'terminated':{'reason':'Completed','exitCode':0}}}]}}",
         "['test18','0/1','Completed','0','<unknown>']", SUCCEEDED},
        {"Running and deleted: Terminating",
         "{'kind':'Pod','metadata':{'name':'test19','deletionTimestamp':" AGO_10S "},'spec':{"
         "'containers':[{}]},'status':{'phase':'Running','containerStatuses':[{'ready':false,"
         "'restartCount':0,'state':" RUNNING "}]}}",
         "['test19','0/1','Terminating','0','<unknown>']", NULL},
        {"Pending and deleted: Terminating",
         "{'kind':'Pod','metadata':{'name':'test20','deletionTimestamp':" AGO_10S "},'spec':{"
         "'containers':[{}]},'status':{'phase':'Pending'}}",
         "['test20','0/1','Terminating','0','<unknown>']", NULL},
        {"NodeLost and deleted: Unknown",
         "{'kind':'Pod','metadata':{'name':'lost','deletionTimestamp':" AGO_10S "},'spec':{"
         "'containers':[{}]},'status':{'phase':'Running','reason':'NodeLost'}}",
         "['lost','0/1','Unknown','0','<unknown>']", NULL},
        {"deletionTimestamp null is no deletion",
         "{'kind':'Pod','metadata':{'name':'p','deletionTimestamp':null},'spec':{'containers':[{"
         "}]},'status':{'phase':'Pending'}}",
         "['p','0/1','Pending','0','<unknown>']", NULL},
        {"conditions: Succeeded with a running container",
         "{'kind':'Pod','metadata':{'name':'test1'},'spec':{'containers':[{},{}]},'status':{"
         "'phase':'Succeeded','containerStatuses':[{'ready':true,'restartCount':3,'state':" RUNNING
         "},{'restartCount':3}]}}",
         "['test1','1/2','Succeeded','6','<unknown>']", SUCCEEDED},
        {"conditions: Failed with a running container",
         "{'kind':'Pod','metadata':{'name':'test2'},'spec':{'containers':[{},{}]},'status':{"
         "'phase':'Failed','containerStatuses':[{'ready':true,'restartCount':3,'state':" RUNNING
         "},{'restartCount':3}]}}",
         "['test2','1/2','Failed','6','<unknown>']", FAILED},
        /* the shapes nanolet's own pods take */
        {"nanolet: ContainerCreating, age from creationTimestamp",
         "{'kind':'Pod','metadata':{'name':'web','creationTimestamp':'2024-05-01T11:59:55Z'},"
         "'spec':{'containers':[{'name':'c'}]},'status':{'phase':'Pending','containerStatuses':"
         "[{'name':'c','state':{'waiting':{'reason':'ContainerCreating'}},'lastState':{},"
         "'ready':false,'restartCount':0,'started':false}]}}",
         "['web','0/1','ContainerCreating','0','5s']", NULL},
        {"nanolet: CrashLoopBackOff with the last exit's time",
         "{'kind':'Pod','metadata':{'name':'crash','creationTimestamp':'2024-05-01T11:56:58Z'},"
         "'spec':{'containers':[{'name':'c'}]},'status':{'phase':'Running','containerStatuses':"
         "[{'name':'c','state':{'waiting':{'reason':'CrashLoopBackOff','message':'back-off'}},"
         "'lastState':{'terminated':{'exitCode':1,'reason':'Error','finishedAt':" AGO_20S "}},"
         "'ready':false,'restartCount':4,'started':false}]}}",
         "['crash','0/1','CrashLoopBackOff','4 (20s ago)','3m2s']", NULL},
        {"nanolet: OOMKilled",
         "{'kind':'Pod','metadata':{'name':'oom'},'spec':{'containers':[{'name':'hog'}]},"
         "'status':{'phase':'Failed','containerStatuses':[{'name':'hog','state':{'terminated':{"
         "'exitCode':137,'reason':'OOMKilled'}},'lastState':{},'ready':false,'restartCount':0}]}}",
         "['oom','0/1','OOMKilled','0','<unknown>']", FAILED},
        {"a terminated container without reason: Signal:N",
         "{'kind':'Pod','metadata':{'name':'sig'},'spec':{'containers':[{}]},'status':{'phase':"
         "'Running','containerStatuses':[{'state':{'terminated':{'exitCode':137,'signal':9}}}]}}",
         "['sig','0/1','Signal:9','0','<unknown>']", NULL},
        {"a terminated container without reason or signal: ExitCode:N",
         "{'kind':'Pod','metadata':{'name':'ec'},'spec':{'containers':[{}]},'status':{'phase':"
         "'Running','containerStatuses':[{'state':{'terminated':{'exitCode':3}}}]}}",
         "['ec','0/1','ExitCode:3','0','<unknown>']", NULL},
        {"an init container failed with a reason: Init:Error",
         "{'kind':'Pod','metadata':{'name':'ie'},'spec':{'initContainers':[{}],'containers':[{}]}"
         ",'status':{'phase':'Pending','initContainerStatuses':[{'state':{'terminated':{"
         "'exitCode':1,'reason':'Error'}}}]}}",
         "['ie','0/1','Init:Error','0','<unknown>']", NULL},
        {"an init container failed without reason: Init:ExitCode:N",
         "{'kind':'Pod','metadata':{'name':'iec'},'spec':{'initContainers':[{}],'containers':[{}"
         "]},'status':{'phase':'Pending','initContainerStatuses':[{'state':{'terminated':{"
         "'exitCode':2}}}]}}",
         "['iec','0/1','Init:ExitCode:2','0','<unknown>']", NULL},
        {"an init container killed: Init:Signal:N",
         "{'kind':'Pod','metadata':{'name':'is'},'spec':{'initContainers':[{}],'containers':[{}]}"
         ",'status':{'phase':'Pending','initContainerStatuses':[{'state':{'terminated':{"
         "'exitCode':137,'signal':9}}}]}}",
         "['is','0/1','Init:Signal:9','0','<unknown>']", NULL},
        {"an init container waiting with a reason: Init:<reason>",
         "{'kind':'Pod','metadata':{'name':'iw'},'spec':{'initContainers':[{}],'containers':[{}]}"
         ",'status':{'phase':'Pending','initContainerStatuses':[{'state':{'waiting':{'reason':"
         "'CrashLoopBackOff'}}}]}}",
         "['iw','0/1','Init:CrashLoopBackOff','0','<unknown>']", NULL},
        {"PodInitializing is no init reason: Init:0/1",
         "{'kind':'Pod','metadata':{'name':'ip'},'spec':{'initContainers':[{}],'containers':[{}]}"
         ",'status':{'phase':'Pending','initContainerStatuses':[{'state':{'waiting':{'reason':"
         "'PodInitializing'}}}]}}",
         "['ip','0/1','Init:0/1','0','<unknown>']", NULL},
};

#define SIDECARS                                                                                   \
	"'initContainers':[{'name':'restartable-init-1','restartPolicy':'Always'},{'name':"        \
	"'restartable-init-2','restartPolicy':'Always'}],'containers':[{}]"

/* printers_test.go TestPrintPodWithRestartableInitContainer. */
static const struct {
	const char *name, *pod, *cells, *conditions;
} sidecar_cases[] = {
        {"two sidecars, the first running but not started",
         "{'kind':'Pod','metadata':{'name':'test1'},'spec':{" SIDECARS "},'status':{'phase':"
         "'Pending','initContainerStatuses':[{'name':'restartable-init-1','ready':false,"
         "'restartCount':3,'state':" RUNNING ",'started':false," LAST(
                 AGO_10S) "},{'name':"
                          "'restartable-init-2','ready':false,'state':{'waiting':{}},'started':"
                          "false}],"
                          "'containerStatuses':[{'ready':false,'restartCount':0,'state':{'waiting':"
                          "{}}}],"
                          "'conditions':[{'type':'Initialized','status':'False'}]}}",
         "['test1','0/3','Init:0/2','3 (10s ago)','<unknown>']", NULL},
        {"the first sidecar started, the second running but not started",
         "{'kind':'Pod','metadata':{'name':'test1'},'spec':{" SIDECARS "},'status':{'phase':"
         "'Pending','initContainerStatuses':[{'name':'restartable-init-1','ready':false,"
         "'restartCount':3,'state':" RUNNING ",'started':true," LAST(
                 AGO_10S) "},{'name':"
                          "'restartable-init-2','ready':false,'state':" RUNNING
                          ",'started':false}],"
                          "'containerStatuses':[{'ready':false,'restartCount':0,'state':{'waiting':"
                          "{}}}],"
                          "'conditions':[{'type':'Initialized','status':'False'}]}}",
         "['test1','0/3','Init:1/2','3 (10s ago)','<unknown>']", NULL},
        {"two sidecars started, the container running",
         "{'kind':'Pod','metadata':{'name':'test2'},'spec':{" SIDECARS "},'status':{'phase':"
         "'Running','initContainerStatuses':[{'name':'restartable-init-1','ready':false,"
         "'restartCount':3,'state':" RUNNING ",'started':true," LAST(
                 AGO_10S) "},{'name':"
                          "'restartable-init-2','ready':false,'state':" RUNNING ",'started':true}],"
                          "'containerStatuses':[{'ready':true,'restartCount':4,'state':" RUNNING
                          "," LAST(AGO_20S) "}],'conditions':[{'type':'Initialized','status':'True'"
                                            "}]}}",
         "['test2','1/3','Running','7 (10s ago)','<unknown>']", NULL},
        {"sidecars ended non-zero, the container completed",
         "{'kind':'Pod','metadata':{'name':'test3'},'spec':{" SIDECARS "},'status':{'phase':"
         "'Succeeded','initContainerStatuses':[{'name':'restartable-init-1','ready':false,"
         "'restartCount':3,'state':{'terminated':{'reason':'Error','exitCode':137}},'started':"
         "false," LAST(
                 AGO_10S) "},{'name':'restartable-init-2','ready':false,'state':{"
                          "'terminated':{'reason':'Error','exitCode':137}},'started':false}],'"
                          "containerStatuses':"
                          "[{'ready':false,'restartCount':4,'state':{'terminated':{'reason':'"
                          "Completed',"
                          "'exitCode':0}}," LAST(
                                  AGO_20S) "}],'conditions':[{'type':'Initialized','status':'True'"
                                           "}]}}",
         "['test3','0/3','Completed','7 (10s ago)','<unknown>']", SUCCEEDED},
        {"statuses of containers the spec does not have",
         "{'kind':'Pod','metadata':{'name':'test4'},'spec':{'initContainers':[{'name':'init1'},"
         "{'name':'sidecar1','restartPolicy':'Always'}],'containers':[{'name':'container1'}]},"
         "'status':{'phase':'Running','initContainerStatuses':[{'name':'initinvalid'},{'name':"
         "'init1'},{'name':'sidecar1'}],'containerStatuses':[{'name':'containerinvalid'},{"
         "'name':'container1'}]}}",
         "['test4','0/2','Init:0/2','0','<unknown>']", NULL},
};

START_TEST(test_pod_status)
{
	expect_row(pod_cases[_i].pod, 5, pod_cases[_i].cells, pod_cases[_i].conditions);
}
END_TEST

START_TEST(test_pod_sidecars)
{
	expect_row(sidecar_cases[_i].pod, 5, sidecar_cases[_i].cells, sidecar_cases[_i].conditions);
}
END_TEST

/* printers_test.go TestPrintPodwide: IP (the first), NODE, NOMINATED NODE, READINESS GATES. */
START_TEST(test_pod_wide)
{
	expect_row("{'kind':'Pod','metadata':{'name':'test1'},'spec':{'containers':[{},{}],"
	           "'nodeName':'test1','readinessGates':[{'conditionType':'condition1'},{"
	           "'conditionType':'condition2'},{'conditionType':'condition3'}]},'status':{"
	           "'conditions':[{'type':'condition1','status':'False'},{'type':'condition2',"
	           "'status':'True'}],'phase':'podPhase','podIPs':[{'ip':'1.1.1.1'},{'ip':"
	           "'2001:db8::'}],'containerStatuses':[{'ready':true,'restartCount':3,'state':"
	           "{'running':{}}},{'restartCount':3}],'nominatedNodeName':'node1'}}",
	           9, "['test1','1/2','podPhase','6','<unknown>','1.1.1.1','test1','node1','1/3']",
	           NULL);
	expect_row("{'kind':'Pod','metadata':{'name':'test2'},'spec':{'containers':[{},{}],"
	           "'nodeName':''},'status':{'phase':'podPhase','containerStatuses':[{'ready':true,"
	           "'restartCount':3,'state':{'running':{}}},{'state':{'waiting':{'reason':"
	           "'ContainerWaitingReason'}},'restartCount':3}]}}",
	           9,
	           "['test2','1/2','ContainerWaitingReason','6','<unknown>','<none>','<none>',"
	           "'<none>','<none>']",
	           NULL);
}
END_TEST

/* printEvent: every column (the server always prints wide). */
START_TEST(test_event_cells)
{
	/* nanolet's own Event shape (pkg/events) */
	expect_row("{'kind':'Event','apiVersion':'v1','metadata':{'name':'web.000000000000002a',"
	           "'namespace':'default'},'involvedObject':{'kind':'Pod','namespace':'default',"
	           "'name':'web','fieldPath':'spec.containers{app}'},'reason':'Started','message':"
	           "'Started container app\\n','source':{'component':'nanolet','host':'node1'},"
	           "'firstTimestamp':'2024-05-01T11:50:00Z','lastTimestamp':" AGO_20S ",'count':2,"
	           "'type':'Normal','eventTime':null,'reportingComponent':'nanolet',"
	           "'reportingInstance':'node1'}",
	           10,
	           "['20s','Normal','Started','pod/web','spec.containers{app}','nanolet, node1',"
	           "'Started container app','10m',2,'web.000000000000002a']",
	           NULL);
	/* the events.k8s.io shape: eventTime, no count, reporting fields, a series */
	expect_row(
	        "{'kind':'Event','metadata':{'name':'n'},'involvedObject':{'kind':'Node'},"
	        "'reason':'Starting','message':'  up  ','eventTime':'2024-05-01T11:00:00.123456Z',"
	        "'reportingComponent':'kubelet','type':'Normal'}",
	        10, "['60m','Normal','Starting','node','','kubelet','up','60m',1,'n']", NULL);
	expect_row("{'kind':'Event','metadata':{'name':'s'},'involvedObject':{'kind':'Pod','name':"
	           "'p'},'reason':'BackOff','eventTime':'2024-05-01T11:00:00Z','series':{'count':7,"
	           "'lastObservedTime':'2024-05-01T11:59:58.5Z'},'source':{'component':'c'},"
	           "'reportingInstance':'h','type':'Warning'}",
	           10, "['2s','Warning','BackOff','pod/p','','c, h','','60m',7,'s']", NULL);
	/* nothing known of when */
	expect_row("{'kind':'Event','metadata':{'name':'x'},'involvedObject':{}}", 10,
	           "['<unknown>','','','','','','','<unknown>',1,'x']", NULL);
}
END_TEST

/* printNode and printNamespace (their routes come elsewhere: the printers are tested here). */
START_TEST(test_node_namespace_cells)
{
	expect_row(
	        "{'kind':'Node','metadata':{'name':'node1','creationTimestamp':"
	        "'2024-04-29T10:00:00Z','labels':{'node-role.kubernetes.io/worker':'',"
	        "'node-role.kubernetes.io/control-plane':'','kubernetes.io/role':'worker',"
	        "'node-role.kubernetes.io/':'x'}},'status':{'conditions':[{'type':"
	        "'MemoryPressure','status':'False'},{'type':'Ready','status':'True'}],"
	        "'addresses':[{'type':'Hostname','address':'node1'},{'type':'InternalIP',"
	        "'address':'10.0.0.5'},{'type':'InternalIP','address':'10.0.0.6'}],'nodeInfo':{"
	        "'kubeletVersion':'v1.32.0-nanolet','osImage':'Debian GNU/Linux 12 (bookworm)',"
	        "'kernelVersion':'6.1.0-18-amd64','containerRuntimeVersion':'nanolet://0.1.0'}}}",
	        10,
	        "['node1','Ready','control-plane,worker','2d2h','v1.32.0-nanolet','10.0.0.5',"
	        "'<none>','Debian GNU/Linux 12 (bookworm)','6.1.0-18-amd64','nanolet://0.1.0']",
	        NULL);
	expect_row("{'kind':'Node','metadata':{'name':'n2'},'spec':{'unschedulable':true},"
	           "'status':{'conditions':[{'type':'Ready','status':'Unknown'}],'addresses':[{"
	           "'type':'ExternalIP','address':'203.0.113.9'}]}}",
	           10,
	           "['n2','NotReady,SchedulingDisabled','<none>','<unknown>','','<none>',"
	           "'203.0.113.9','<unknown>','<unknown>','<unknown>']",
	           NULL);
	expect_row("{'kind':'Node','metadata':{'name':'n3'},'status':{}}", 3,
	           "['n3','Unknown','<none>']", NULL);
	expect_row("{'kind':'Namespace','metadata':{'name':'default','creationTimestamp':"
	           "'2024-05-01T09:00:00Z'},'status':{'phase':'Active'}}",
	           3, "['default','Active','3h']", NULL);
	expect_row("{'kind':'Namespace','metadata':{'name':'gone','creationTimestamp':"
	           "'2024-05-01T12:00:00+02:00'},'status':{'phase':'Terminating'}}",
	           3, "['gone','Terminating','120m']", NULL);
}
END_TEST

/* The Table itself: kind, version, list metadata, columns as the API server sends them, rows
 * with their object per ?includeObject=. */
START_TEST(test_table_shape)
{
	json_t *list = load("{'kind':'PodList','apiVersion':'v1','metadata':{'resourceVersion':"
	                    "'42','continue':'abc'},'items':[{'metadata':{'name':'a','namespace':"
	                    "'default','labels':{'app':'x'}},'spec':{'containers':[{}]},'status':{"
	                    "'phase':'Pending'}},{'metadata':{'name':'b','namespace':'other'},"
	                    "'spec':{'containers':[{}]},'status':{'phase':'Pending'}}]}");
	struct printers_options options = {.now_s = NOW};
	json_t *table = printers_table(list, &options), *columns, *row;
	char *text;

	ck_assert_ptr_nonnull(table);
	ck_assert_str_eq(json_string_value(json_object_get(table, "kind")), "Table");
	ck_assert_str_eq(json_string_value(json_object_get(table, "apiVersion")), "meta.k8s.io/v1");
	text = json_dumps(json_object_get(table, "metadata"), JSON_COMPACT);
	ck_assert_str_eq(text, "{\"resourceVersion\":\"42\",\"continue\":\"abc\"}");
	free(text);
	columns = json_object_get(table, "columnDefinitions");
	ck_assert_uint_eq(json_array_size(columns), 9);
	text = json_dumps(json_array_get(columns, 0), JSON_COMPACT);
	ck_assert_str_eq(
	        text,
	        "{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":\"Name "
	        "must be unique within a namespace. Is required when creating resources, although "
	        "some resources may allow a client to request the generation of an appropriate "
	        "name "
	        "automatically. Name is primarily intended for creation idempotence and "
	        "configuration definition. Cannot be updated. More info: "
	        "https://kubernetes.io/docs/concepts/overview/working-with-objects/"
	        "names#names\",\"priority\":0}");
	free(text);
	text = json_dumps(json_array_get(columns, 3), JSON_COMPACT);
	ck_assert_str_eq(text, "{\"name\":\"Restarts\",\"type\":\"string\",\"format\":\"\","
	                       "\"description\":\"The number of times the containers in this pod "
	                       "have been restarted and when the last container in this pod has "
	                       "restarted.\",\"priority\":0}");
	free(text);
	ck_assert_int_eq(
	        json_integer_value(json_object_get(json_array_get(columns, 5), "priority")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(columns, 8), "name")),
	                 "Readiness Gates");
	ck_assert_uint_eq(json_array_size(json_object_get(table, "rows")), 2);
	row = json_array_get(json_object_get(table, "rows"), 1);
	text = json_dumps(json_object_get(row, "object"), JSON_COMPACT);
	ck_assert_str_eq(text, "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":"
	                       "\"meta.k8s.io/v1\",\"metadata\":{\"name\":\"b\",\"namespace\":"
	                       "\"other\"}}");
	free(text);
	ck_assert_ptr_null(json_object_get(row, "conditions"));
	json_decref(table);

	/* ?includeObject=Object: the item, typed; v1beta1 asked for */
	ck_assert_int_eq(printers_include_parse("Object", &options), 0);
	options.api_version = "meta.k8s.io/v1beta1";
	table = printers_table(list, &options);
	ck_assert_str_eq(json_string_value(json_object_get(table, "apiVersion")),
	                 "meta.k8s.io/v1beta1");
	row = json_array_get(json_object_get(table, "rows"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(row, "object"), "kind")),
	                 "Pod");
	ck_assert_str_eq(
	        json_string_value(json_object_get(json_object_get(row, "object"), "apiVersion")),
	        "v1");
	{
		json_t *object = json_object_get(row, "object");
		json_t *labels = json_object_get(json_object_get(object, "metadata"), "labels");

		ck_assert(json_is_object(json_object_get(object, "spec")));
		ck_assert_str_eq(json_string_value(json_object_get(labels, "app")), "x");
	}
	json_decref(table);

	/* ?includeObject=None: "object": null; a watch's later events: no columns */
	ck_assert_int_eq(printers_include_parse("None", &options), 0);
	options.no_headers = true;
	options.api_version = NULL;
	table = printers_table(list, &options);
	ck_assert(json_is_null(json_object_get(table, "columnDefinitions")));
	row = json_array_get(json_object_get(table, "rows"), 0);
	ck_assert(json_is_null(json_object_get(row, "object")));
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(row, "cells"), 0)), "a");
	json_decref(table);
	json_decref(list);

	ck_assert_int_eq(printers_include_parse("Metadata", &options), 0);
	ck_assert(!options.include_object && !options.no_object);
	ck_assert_int_eq(printers_include_parse(NULL, &options), 0);
	ck_assert_int_eq(printers_include_parse("metadata", &options), -EINVAL);
	ck_assert_int_eq(printers_include_parse("All", &options), -EINVAL);
}
END_TEST

START_TEST(test_table_single_and_empty)
{
	struct printers_options options = {.now_s = NOW};
	json_t *pod =
	        load("{'kind':'Pod','apiVersion':'v1','metadata':{'name':'a','resourceVersion':"
	             "'7'},'spec':{'containers':[{}]},'status':{}}");
	json_t *empty = load("{'kind':'EventList','apiVersion':'v1','metadata':{},'items':[]}");
	json_t *other = load("{'kind':'Status','apiVersion':'v1'}");
	json_t *table = printers_table(pod, &options);
	char *text;

	text = json_dumps(json_object_get(table, "metadata"), JSON_COMPACT);
	ck_assert_str_eq(text, "{\"resourceVersion\":\"7\"}");
	free(text);
	ck_assert_uint_eq(json_array_size(json_object_get(table, "rows")), 1);
	json_decref(table);

	table = printers_table(empty, &options);
	text = json_dumps(table, JSON_COMPACT);
	ck_assert_ptr_nonnull(strstr(text,
	                             "\"metadata\":{},\"columnDefinitions\":[{\"name\":\"Last "
	                             "Seen\""));
	ck_assert_ptr_nonnull(strstr(text, "\"rows\":[]}"));
	ck_assert_uint_eq(json_array_size(json_object_get(table, "columnDefinitions")), 10);
	free(text);
	json_decref(table);

	errno = 0;
	ck_assert_ptr_null(printers_table(other, &options));
	ck_assert_int_eq(errno, EOPNOTSUPP);
	errno = 0;
	ck_assert_ptr_null(printers_table(json_object_get(other, "kind"), &options));
	ck_assert_int_eq(errno, EINVAL);
	json_decref(pod);
	json_decref(empty);
	json_decref(other);
}
END_TEST

static const struct {
	const char *accept, *version;
} accepts[] = {
        /* what kubectl get sends */
        {"application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g="
         "meta.k8s.io,application/json",
         "meta.k8s.io/v1"},
        {"application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json",
         "meta.k8s.io/v1beta1"},
        {"application/json ; as=Table ; g=meta.k8s.io ; v=v1", "meta.k8s.io/v1"},
        {"application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json;as="
         "Table;v=v1;g=meta.k8s.io",
         "meta.k8s.io/v1"},
        {"application/json", NULL},
        {"application/json, application/json;as=Table;v=v1;g=meta.k8s.io", NULL},
        {"*/*", NULL},
        {"", NULL},
        {NULL, NULL},
        {"application/json;as=Table;v=v2;g=meta.k8s.io", NULL},
        {"application/json;as=Table;v=v1;g=example.com", NULL},
        {"application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io", NULL},
        {"application/yaml;as=Table;v=v1;g=meta.k8s.io", NULL},
};

START_TEST(test_accept)
{
	const char *got = printers_table_version(accepts[_i].accept);

	if (accepts[_i].version)
		ck_assert_msg(got && strcmp(got, accepts[_i].version) == 0, "%s: %s",
		              accepts[_i].accept, got ? got : "NULL");
	else
		ck_assert_msg(!got, "%s: %s", accepts[_i].accept, got);
	ck_assert(printers_table_wanted(accepts[_i].accept) == (accepts[_i].version != NULL));
}
END_TEST

/* apimachinery's duration_test.go TestHumanDuration, and the edges. */
static const struct {
	int64_t seconds;
	const char *want;
} durations[] = {
        {1, "1s"},
        {70, "70s"},
        {119, "119s"},
        {120, "2m"},
        {190, "3m10s"},
        {599, "9m59s"},
        {600, "10m"},
        {70 * 60, "70m"},
        {179 * 60 + 59, "179m"},
        {3 * 3600, "3h"},
        {3 * 3600 + 5 * 60, "3h5m"},
        {8 * 3600 + 5 * 60, "8h"},
        {47 * 3600, "47h"},
        {48 * 3600, "2d"},
        {49 * 3600, "2d1h"},
        {(8 * 24 + 2) * 3600, "8d"},
        {367 * 24 * 3600, "367d"},
        {(365 * 2 * 24 + 25) * 3600, "2y1d"},
        {365 * 2 * 24 * 3600, "2y"},
        {(365 * 8 * 24 + 2) * 3600, "8y"},
        {0, "0s"},
        {-1, "0s"},
        {-2, "<invalid>"},
};

START_TEST(test_duration)
{
	char buf[PRINTERS_DURATION_SIZE];

	ck_assert_str_eq(printers_duration(durations[_i].seconds, buf, sizeof(buf)),
	                 durations[_i].want);
}
END_TEST

static Suite *printers_suite(void)
{
	Suite *s = suite_create("printers");
	TCase *tc = tcase_create("printers");

	tcase_add_loop_test(tc, test_pod_status, 0, sizeof(pod_cases) / sizeof(pod_cases[0]));
	tcase_add_loop_test(tc, test_pod_sidecars, 0,
	                    sizeof(sidecar_cases) / sizeof(sidecar_cases[0]));
	tcase_add_test(tc, test_pod_wide);
	tcase_add_test(tc, test_event_cells);
	tcase_add_test(tc, test_node_namespace_cells);
	tcase_add_test(tc, test_table_shape);
	tcase_add_test(tc, test_table_single_and_empty);
	tcase_add_loop_test(tc, test_accept, 0, sizeof(accepts) / sizeof(accepts[0]));
	tcase_add_loop_test(tc, test_duration, 0, sizeof(durations) / sizeof(durations[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(printers_suite());
}
