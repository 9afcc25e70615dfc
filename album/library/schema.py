"""The catalogue's tables (SQLAlchemy 2.x declarative mapping).

The stored embeddings are the source of truth; the hnswlib index is a cache
rebuilt from them.  Photos are identified by content hash for moves and
copies, by row id everywhere else (the id is the index label).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Enum, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from album.library.records import MemberRole, PhotoStatus
# Bump SCHEMA_VERSION when the tables change, and add a step to ``migrations.MIGRATIONS``; it is defined
# without SQLAlchemy, beside the reader of ``album status``.
from album.library.status_reader import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Base", "Meta", "Folder", "Photo", "Model", "Embedding", "BackboneFeatures",
           "PhotoGroup", "GroupMember", "Fingerprint"]


class Base(DeclarativeBase):
    pass


class Meta(Base):
    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Folder(Base):
    """A root folder the user added."""

    __tablename__ = "folders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    added_at: Mapped[datetime] = mapped_column(DateTime)


class Photo(Base):
    __tablename__ = "photos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder_id: Mapped[int] = mapped_column(ForeignKey("folders.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    camera: Mapped[str | None] = mapped_column(Text)
    status: Mapped[PhotoStatus] = mapped_column(
        Enum(PhotoStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]), index=True)
    failure: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime)


class Model(Base):
    """An encoder that produced embeddings; ``generation`` counts changes to its vectors."""

    __tablename__ = "models"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    backbone: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Embedding(Base):
    __tablename__ = "embeddings"
    #: a model's vectors, in photo order, without reading the other models' rows (schema 4)
    __table_args__ = (Index("ix_embeddings_model_id", "model_id", "photo_id"),)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), primary_key=True)
    #: float32, little-endian, L2-normalised
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class BackboneFeatures(Base):
    """Pooled backbone output of a photo (float16), kept so that a new head over the same backbone
    (a personal model) re-encodes the library without decoding a photo or running the CNN."""

    __tablename__ = "backbone_features"
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    #: ``Encoder.features_id``: the backbone weights and the preprocessing that fed them
    features_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    #: float16, little-endian, not normalised
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class PhotoGroup(Base):
    """A group of photos of one subject: found by clustering, or confirmed by the user (then it is
    theirs: recomputation never takes it apart, and it is training data for a personal model)."""

    __tablename__ = "photo_groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    #: the user gave the name (an automatic name is recomputed with the group; this one never is)
    named_by_user: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the user edited the group: its members are pinned and its exclusions are kept
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    #: the photo that stands for the group (the most typical member)
    cover_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class GroupMember(Base):
    """A photo's place in a group: put there by clustering (``auto``), by the user (``user``: a
    must-link), or taken out by the user (``excluded``: a cannot-link that recomputation respects)."""

    __tablename__ = "group_members"
    group_id: Mapped[int] = mapped_column(ForeignKey("photo_groups.id", ondelete="CASCADE"), primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[MemberRole] = mapped_column(
        Enum(MemberRole, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]))


class Fingerprint(Base):
    """A photo's perceptual fingerprint (near-duplicate checks), valid for the content it was computed from."""

    __tablename__ = "fingerprints"
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
