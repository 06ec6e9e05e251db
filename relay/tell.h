#pragma once
/*
 * tell: starts the notify layer for a running relay (relay/notify/: MQTT and Home Assistant,
 * later webhooks, command hooks and the alert state) and hands it each camera's parts.
 * Called by main after the cameras exist; stopped before they are freed.
 */
struct relay;

/* Start what the settings ask for (nothing without MQTT_URL). Returns 0, or -1 after logging
 * why (a bad setting: the relay does not start). */
int tell_start(struct relay *relay);

/* Stop and free what tell_start made. Safe if it failed or never ran. */
void tell_stop(struct relay *relay);
