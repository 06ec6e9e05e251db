// The joystick for touch screens: drag the knob and the camera keeps turning that way, faster
// the further the knob is from the centre; let go and it stops. Pointer events, so a mouse or
// a pen drives it too.
const MAX_DEG_PER_TICK = 8;
const DEAD_ZONE = 0.15; // a resting thumb wobbles: no move within 15 % of the centre

export function bindJoystick(base, knob, steering) {
    let pointerId = null;

    function release() {
        pointerId = null;
        base.classList.remove("is-active");
        knob.style.transform = "";
        steering.stopHold();
    }

    function follow(e) {
        const r = base.getBoundingClientRect();
        const radius = (r.width - knob.offsetWidth) / 2;
        if (radius <= 0) return;
        let dx = e.clientX - (r.left + r.width / 2);
        let dy = e.clientY - (r.top + r.height / 2);
        const len = Math.hypot(dx, dy);
        if (len > radius) {
            dx *= radius / len;
            dy *= radius / len;
        }
        knob.style.transform = `translate(${dx.toFixed(1)}px, ${dy.toFixed(1)}px)`;

        const m = Math.min(1, len / radius);
        if (m < DEAD_ZONE) {
            steering.setVelocity(0, 0);
            return;
        }
        // Squared: fine control near the centre, full speed at the rim.
        const speed = MAX_DEG_PER_TICK * Math.pow((m - DEAD_ZONE) / (1 - DEAD_ZONE), 2);
        const ux = dx / (len || 1);
        const uy = dy / (len || 1);
        // Dragging right turns right (pan decreases); dragging down looks down (tilt increases).
        steering.setVelocity(-ux * speed, uy * speed);
    }

    base.addEventListener("pointerdown", (e) => {
        if (pointerId !== null || (e.pointerType === "mouse" && e.button !== 0)) return;
        e.preventDefault();
        pointerId = e.pointerId;
        if (base.setPointerCapture) base.setPointerCapture(e.pointerId);
        base.classList.add("is-active");
        follow(e);
    });
    base.addEventListener("pointermove", (e) => {
        if (e.pointerId === pointerId) follow(e);
    });
    for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
        base.addEventListener(type, (e) => {
            if (e.pointerId === pointerId) release();
        });
    }
    base.addEventListener("contextmenu", (e) => e.preventDefault());
}
