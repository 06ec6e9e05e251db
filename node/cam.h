#pragma once
/*
 * cam: the camera port interface, what each port of the node (lookout-cam's simulator, a V4L2
 * camera, the ESP32-CAM's OV2640) provides to the shared stream code.
 *
 * A camera is a table of operations plus the port's own state pointer, the same shape as the
 * relay's event loop backends: callers hold a `struct cam` and call the cam_* wrappers below.
 * Frames are borrowed, like esp_camera_fb_get / esp_camera_fb_return: every successful cam_get
 * is paired with exactly one cam_put, and the bytes stay valid only in between. A port may hold
 * a single frame buffer, so take at most one frame at a time and give it back promptly (copy
 * or reference it elsewhere if it must live longer).
 */
#include <stddef.h>
#include <stdint.h>

struct cam_frame {
    const uint8_t *data;  /* the JPEG, borrowed until cam_put */
    size_t len;           /* bytes in data */
    unsigned width;       /* pixels */
    unsigned height;      /* pixels */
    uint32_t captured_ms; /* the caller's now_ms given to cam_get */
    unsigned long seq;    /* frame number, 1 for the first frame produced */
    int has_angles;       /* the port knows where the camera pointed: the two fields below */
    int pan_mdeg;         /* pan the frame was taken at, millidegrees */
    int tilt_mdeg;        /* tilt the frame was taken at, millidegrees */
};

struct cam_ops {
    /* Start capturing. Returns 0 or a negative errno. */
    int (*start)(void *self);
    /* Produce one JPEG into *out (borrowed). Returns 0, -EBUSY if a frame is still out,
     * or another negative errno. */
    int (*get)(void *self, uint32_t now_ms, struct cam_frame *out);
    /* Give back the frame from the last successful get. */
    void (*put)(void *self, struct cam_frame *frame);
    /* Frame size in pixels. */
    void (*frame_size)(const void *self, unsigned *width, unsigned *height);
    /* JPEG quality 1..100 (100 best). Returns 0 or -EINVAL. */
    int (*set_quality)(void *self, int quality);
};

/* A camera: operations plus the port's state. Plain value type; both pointers are borrowed. */
struct cam {
    const struct cam_ops *ops;
    void *self;
};

/* Start the camera. Returns 0 or a negative errno. */
static inline int cam_start(struct cam *c)
{
    return c->ops->start(c->self);
}

/* Borrow one JPEG frame into *out; pair with cam_put. Returns 0 or a negative errno. */
static inline int cam_get(struct cam *c, uint32_t now_ms, struct cam_frame *out)
{
    return c->ops->get(c->self, now_ms, out);
}

/* Return a frame borrowed with cam_get; its bytes are invalid afterwards. */
static inline void cam_put(struct cam *c, struct cam_frame *frame)
{
    c->ops->put(c->self, frame);
}

/* Frame size in pixels. */
static inline void cam_frame_size(const struct cam *c, unsigned *width, unsigned *height)
{
    c->ops->frame_size(c->self, width, height);
}

/* Set the JPEG quality, 1..100. Returns 0 or -EINVAL. */
static inline int cam_set_quality(struct cam *c, int quality)
{
    return c->ops->set_quality(c->self, quality);
}
