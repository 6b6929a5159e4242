export { directReceiver, directPathPrefix, type DirectReceiverOptions } from './receiver.js';
export { directSink, type DirectSinkOptions } from './sink.js';
