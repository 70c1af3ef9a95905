export { BoundedQueue } from './bounded-queue.js';
export { defaultServerId, EventOut, hasEventSinks, type EventOutOptions } from './event-out.js';
export { MQTT_DEFAULTS, MqttSink, mqttTopics, type MqttOptions } from './mqtt-sink.js';
export { toOutEvent, topicLevel, type OutEvent } from './payload.js';
export { signWebhook, verifyWebhook, WEBHOOK_HEADERS, WEBHOOK_TOLERANCE_SECONDS } from './signature.js';
export { redactUrl, type DeliveryOutcome, type EventSink, type SinkReport } from './sink.js';
export { StreamStates, type PresentFace, type StreamState } from './stream-state.js';
export { WEBHOOK_DEFAULTS, WebhookSink, type WebhookOptions } from './webhook-sink.js';
