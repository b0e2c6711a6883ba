/*
 * vnet's TAP addon: the one thing Node cannot do itself for a Linux TAP device, TUNSETIFF (an ioctl),
 * plus reading the device without holding a thread: the fd is non-blocking and watched by a libuv poll
 * handle on the main loop; every readable event reads whole frames (one read() = one frame, IFF_NO_PI)
 * and hands them to JavaScript in one call.
 *
 *   open(name, netnsPath | null, onFrames) -> { handle, name }   onFrames(frames: Buffer[])
 *   write(handle, buffer) -> 0 or an errno (EAGAIN: the device queue is full)
 *   setMac(handle, bytes6) -> 0 or an errno   (SIOCSIFHWADDR on the tun fd, as tun.c allows)
 *   pause(handle) / resume(handle)            (stop / start watching the fd: flow control)
 *   close(handle)
 *
 * With netnsPath (e.g. /var/run/netns/NAME) the device is created inside that network namespace: the
 * calling thread enters it only for the open() of /dev/net/tun (a tun file belongs to the namespace it
 * was opened in) and returns at once; no JavaScript runs in between.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <node_api.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uv.h>

#define MAX_FRAME 65536
#define MAX_BATCH 256

typedef struct {
  int fd;
  int closed;
  /* Owners: the JavaScript handle (until finalized) and libuv's poll handle (until closed). */
  int refs;
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_async_context ctx;
  unsigned char buf[MAX_FRAME];
} tap_t;

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static void on_readable(uv_poll_t *p, int status, int events) {
  tap_t *t = (tap_t *)p->data;
  if (t->closed || status < 0 || !(events & UV_READABLE)) return;
  napi_env env = t->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t n = 0;
  while (n < MAX_BATCH) {
    ssize_t r = read(t->fd, t->buf, sizeof t->buf);
    if (r < 0) break; /* EAGAIN: drained (other errors: try again on the next event) */
    napi_value b;
    void *data;
    napi_create_buffer_copy(env, (size_t)r, t->buf, &data, &b);
    napi_set_element(env, arr, n++, b);
  }
  if (n > 0) {
    napi_value cb, recv, result;
    napi_get_reference_value(env, t->cb, &cb);
    napi_get_global(env, &recv); /* napi_make_callback needs an object as `this` */
    napi_make_callback(env, t->ctx, recv, cb, 1, &arr, &result);
  }
  napi_close_handle_scope(env, scope);
}

static void unref(tap_t *t) {
  if (--t->refs == 0) free(t);
}

static void on_closed(uv_handle_t *h) {
  unref((tap_t *)h->data);
}

/* Stops watching, closes the fd and releases the callback; the struct stays until its owners let go. */
static void shut(napi_env env, tap_t *t) {
  t->closed = 1;
  uv_poll_stop(&t->poll);
  close(t->fd);
  napi_delete_reference(env, t->cb);
  napi_async_destroy(env, t->ctx);
  uv_close((uv_handle_t *)&t->poll, on_closed);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  tap_t *t = (tap_t *)data;
  if (!t->closed) shut(env, t); /* collected without close() */
  unref(t);
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[IFNAMSIZ] = {0};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "open: the name must be a string");
    return NULL;
  }
  char nspath[4096] = {0};
  napi_valuetype vt;
  napi_typeof(env, argv[1], &vt);
  int use_ns = vt == napi_string;
  if (use_ns) napi_get_value_string_utf8(env, argv[1], nspath, sizeof nspath, &len);
  napi_typeof(env, argv[2], &vt);
  if (vt != napi_function) {
    napi_throw_type_error(env, NULL, "open: onFrames must be a function");
    return NULL;
  }

  int self_ns = -1, target_ns = -1;
  if (use_ns) {
    self_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self_ns < 0) return throw_errno(env, "open /proc/thread-self/ns/net", errno);
    target_ns = open(nspath, O_RDONLY | O_CLOEXEC);
    if (target_ns < 0) {
      int e = errno;
      close(self_ns);
      return throw_errno(env, nspath, e);
    }
    if (setns(target_ns, CLONE_NEWNET) < 0) {
      int e = errno;
      close(self_ns);
      close(target_ns);
      return throw_errno(env, "setns (entering the namespace)", e);
    }
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  int open_err = errno;
  if (use_ns) {
    if (setns(self_ns, CLONE_NEWNET) < 0) {
      fprintf(stderr, "vnet tap addon: cannot return to the original network namespace: %s\n", strerror(errno));
      abort();
    }
    close(self_ns);
    close(target_ns);
  }
  if (fd < 0) return throw_errno(env, "/dev/net/tun", open_err);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "TUNSETIFF", e);
  }

  tap_t *t = (tap_t *)calloc(1, sizeof(tap_t));
  t->fd = fd;
  t->env = env;
  t->refs = 2;
  napi_create_reference(env, argv[2], 1, &t->cb);
  napi_value resource, resource_name;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, "vnet:tap", NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, resource, resource_name, &t->ctx);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &t->poll, fd);
  t->poll.data = t;
  uv_poll_start(&t->poll, UV_READABLE, on_readable);

  napi_value out, handle, actual;
  napi_create_object(env, &out);
  napi_create_external(env, t, finalize, NULL, &handle);
  napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &actual);
  napi_set_named_property(env, out, "handle", handle);
  napi_set_named_property(env, out, "name", actual);
  return out;
}

static tap_t *get_tap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) {
    napi_throw_type_error(env, NULL, "not a tap handle");
    return NULL;
  }
  return (tap_t *)p;
}

static napi_value js_write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  tap_t *t = get_tap(env, argv[0]);
  if (t == NULL) return NULL;
  void *data = NULL;
  size_t len = 0;
  if (napi_get_typedarray_info(env, argv[1], NULL, &len, &data, NULL, NULL) != napi_ok) {
    napi_throw_type_error(env, NULL, "write: a Uint8Array is needed");
    return NULL;
  }
  int err = 0;
  if (t->closed) err = EBADF;
  else if (write(t->fd, data, len) < 0) err = errno;
  napi_value r;
  napi_create_int32(env, err, &r);
  return r;
}

static napi_value js_set_mac(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  tap_t *t = get_tap(env, argv[0]);
  if (t == NULL) return NULL;
  void *data = NULL;
  size_t len = 0;
  if (napi_get_typedarray_info(env, argv[1], NULL, &len, &data, NULL, NULL) != napi_ok || len != 6) {
    napi_throw_type_error(env, NULL, "setMac: a Uint8Array of 6 bytes is needed");
    return NULL;
  }
  int err = 0;
  if (t->closed) err = EBADF;
  else {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
    memcpy(ifr.ifr_hwaddr.sa_data, data, 6);
    if (ioctl(t->fd, SIOCSIFHWADDR, &ifr) < 0) err = errno;
  }
  napi_value r;
  napi_create_int32(env, err, &r);
  return r;
}

static napi_value js_pause(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  tap_t *t = get_tap(env, argv[0]);
  if (t != NULL && !t->closed) uv_poll_stop(&t->poll);
  return NULL;
}

static napi_value js_resume(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  tap_t *t = get_tap(env, argv[0]);
  if (t != NULL && !t->closed) uv_poll_start(&t->poll, UV_READABLE, on_readable);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  tap_t *t = get_tap(env, argv[0]);
  if (t == NULL || t->closed) return NULL;
  shut(env, t);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"write", NULL, js_write, NULL, NULL, NULL, napi_default, NULL},
      {"setMac", NULL, js_set_mac, NULL, NULL, NULL, napi_default, NULL},
      {"pause", NULL, js_pause, NULL, NULL, NULL, napi_default, NULL},
      {"resume", NULL, js_resume, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
