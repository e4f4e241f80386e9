/** The in-memory store the unit tests use holds to the same cases as the S3 store. */
import { MemoryStore } from '../support/memoryStore';
import { storeConformance } from '../support/storeConformance';

let store: MemoryStore;
beforeEach(async () => {
  store = new MemoryStore();
  await store.ensureBucket('conformance', []);
});

storeConformance('the in-memory store', () => ({
  store,
  bucket: 'conformance',
  uploadPart: async (_key, uploadId, partNumber, data) => store.uploadPart(uploadId, partNumber, data),
}));
