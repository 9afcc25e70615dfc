"""The subject groups, for the main window: the Groups page, a group's page, the side panel's
Groups section, and the group edits wherever they are offered (buttons, keys, context menus).

``GroupsController`` keeps the latest groups from the worker, asks it (through
the bridge) for a group's photos and for the current photo's groups, and
sends the user's edits; after each edit, scan or regrouping the worker sends
the groups again and the controller refreshes what is shown.  It never
touches the engine.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPoint
from PySide6.QtWidgets import QAbstractItemView, QInputDialog, QMenu, QWidget

from album.gui import group_dialogs
from album.gui.bridge import LibraryBridge
from album.gui.group_page import GroupPage
from album.gui.groups_page import GroupsPage
from album.gui.inbox import REGROUP, Task
from album.gui.messages import GroupAction, GroupEdited, GroupPhotos, GroupRequest, Groups, PhotoGroups
from album.gui.pages import Page, PageStack
from album.gui.photo_model import PhotoRole
from album.gui.search_controller import SearchController
from album.gui.side_panel import SidePanel
from album.library.records import PhotoRecord

ADD_TO_GROUP = "Add to group…"
NEW_GROUP = "New group from selection…"


def selected_records(view: QAbstractItemView, index: QModelIndex | None = None) -> list[PhotoRecord]:
    """The library photos selected in ``view`` (or the one at ``index`` when it is not selected)."""
    selection = view.selectionModel()
    indexes = sorted(selection.selectedIndexes(), key=QModelIndex.row)
    if index is not None and index.isValid() and not selection.isSelected(index):
        indexes = [index]
    return [record for record in (i.data(PhotoRole) for i in indexes) if record is not None]


class GroupsController(QObject):
    def __init__(self, bridge: LibraryBridge, pages: PageStack, groups_page: GroupsPage, group_page: GroupPage,
                 side_panel: SidePanel, search: SearchController, dialog_parent: QWidget, say):
        super().__init__(dialog_parent)
        self.bridge, self.pages, self.groups_page, self.group_page = bridge, pages, groups_page, group_page
        self.side_panel, self.search, self.dialog_parent, self.say = side_panel, search, dialog_parent, say
        self.groups = Groups()
        self._asked_photo: int | None = None
        worker = bridge.worker
        worker.groupsChanged.connect(self._on_groups)
        worker.groupOpened.connect(self._on_group_opened)
        worker.photoGroupsReady.connect(self._on_photo_groups)
        worker.groupEdited.connect(self._on_edited)
        groups_page.groupActivated.connect(self.open_group)
        groups_page.menuRequested.connect(self.show_group_menu)
        groups_page.renameRequested.connect(lambda: self.rename(self._chosen_group_id()))
        groups_page.regroupRequested.connect(self.regroup)
        group_page.backRequested.connect(self.show_groups)
        group_page.renameRequested.connect(lambda: self.rename(group_page.group_id()))
        group_page.mergeRequested.connect(self.merge_into_open_group)
        group_page.removeRequested.connect(lambda: self.remove_from_open_group(group_page.selected_photos()))
        side_panel.groupClicked.connect(self.open_group)
        search.currentChanged.connect(self._ask_current_photo)
        search.follow(group_page.grid)

    # -- navigation -----------------------------------------------------------------------------------------
    def show_groups(self) -> None:
        self.pages.set_page(Page.GROUPS)
        self.groups_page.grid.setFocus()

    def open_group(self, group_id: int) -> None:
        entry = next((entry for entry in self.groups if entry.info.id == group_id), None)
        self.group_page.show_loading(group_id, entry.info.name if entry is not None else "")
        self.pages.set_page(Page.GROUP)
        self.group_page.grid.setFocus()
        self.groups_page.select_group(group_id)
        self._ask(GroupRequest(GroupAction.OPEN, group_id))

    def regroup(self) -> None:
        self.bridge.run_task(Task(REGROUP))

    # -- answers ----------------------------------------------------------------------------------------------
    def _on_groups(self, groups: Groups) -> None:
        self.groups = groups
        self.groups_page.set_groups(groups)
        if self.group_page.group_id() is not None:
            self._ask(GroupRequest(GroupAction.OPEN, self.group_page.group_id()))
        self._asked_photo = None
        self._ask_current_photo()

    def _on_group_opened(self, answer: GroupPhotos) -> None:
        if answer.group_id == self.group_page.group_id():
            self.group_page.show_group(answer)

    def _ask_current_photo(self) -> None:
        current = self.search.current
        if current is None:
            self._asked_photo = None
            self.side_panel.set_groups(None)
        elif current.id != self._asked_photo:
            self._asked_photo = current.id
            self._ask(GroupRequest(GroupAction.OF_PHOTO, photo_ids=(current.id,)))

    def _on_photo_groups(self, answer: PhotoGroups) -> None:
        if self.search.current is not None and answer.photo_id == self.search.current.id:
            self.side_panel.set_groups(answer.groups)

    def _on_edited(self, edited: GroupEdited) -> None:
        self.say(edited.message)
        action = edited.request.action
        if action == GroupAction.MERGE and self.pages.page() == Page.GROUPS and edited.group_id is not None:
            self.groups_page.select_group(edited.group_id)

    def _ask(self, request: GroupRequest) -> None:
        self.bridge.ask_groups(request)

    # -- edits ------------------------------------------------------------------------------------------------
    def _chosen_group_id(self) -> int | None:
        current = self.groups_page.current_group()
        return current.info.id if current is not None else None

    def _name_of(self, group_id: int | None) -> str:
        return next((entry.info.name for entry in self.groups if entry.info.id == group_id), "")

    def rename(self, group_id: int | None) -> None:
        if group_id is None:
            return
        name = group_dialogs.ask_name(self.dialog_parent, "Rename group", "Name:", self._name_of(group_id))
        if name:
            self._ask(GroupRequest(GroupAction.RENAME, group_id, name=name))

    def merge_selected_groups(self) -> None:
        """Merge the selected groups into one, keeping the name the user picks (the largest's by default)."""
        chosen = self.groups_page.selected_groups()
        if len(chosen) < 2:
            self.merge_with(self._chosen_group_id())
            return
        names = [f"{entry.info.name} ({entry.info.size:,})" for entry in chosen]
        name, accepted = QInputDialog.getItem(self.dialog_parent, "Merge groups",
                                              f"Merge {len(chosen)} groups into one. Keep the name of:",
                                              names, 0, False)
        if accepted:
            into = chosen[names.index(name)].info.id
            self._ask(GroupRequest(GroupAction.MERGE, into,
                                   other_ids=tuple(e.info.id for e in chosen if e.info.id != into)))

    def merge_with(self, group_id: int | None) -> None:
        """Fold another group (chosen in a dialog) into ``group_id``."""
        if group_id is None:
            return
        others = Groups(entry for entry in self.groups if entry.info.id != group_id)
        choice = group_dialogs.choose_group(self.dialog_parent, "Merge groups",
                                            f"Fold this group into “{self._name_of(group_id)}”:", others,
                                            allow_new=False)
        if choice is not None and choice.group_id is not None:
            self._ask(GroupRequest(GroupAction.MERGE, group_id, other_ids=(choice.group_id,)))

    def merge_into_open_group(self) -> None:
        self.merge_with(self.group_page.group_id())

    def remove_from_open_group(self, photos: list[PhotoRecord]) -> None:
        group_id = self.group_page.group_id()
        if group_id is not None and photos:
            self._ask(GroupRequest(GroupAction.REMOVE, group_id, photo_ids=tuple(p.id for p in photos)))

    def add_to_group(self, photos: list[PhotoRecord]) -> None:
        if not photos:
            return
        count = f"{len(photos)} photo{'s' if len(photos) != 1 else ''}"
        choice = group_dialogs.choose_group(self.dialog_parent, "Add to group", f"Add {count} to the group:",
                                            self.groups)
        if choice is None:
            return
        ids = tuple(photo.id for photo in photos)
        if choice.group_id is None:
            self._ask(GroupRequest(GroupAction.CREATE, photo_ids=ids, name=choice.name))
        else:
            self._ask(GroupRequest(GroupAction.ADD, choice.group_id, photo_ids=ids))

    def new_group(self, photos: list[PhotoRecord]) -> None:
        if photos:
            name = group_dialogs.ask_name(self.dialog_parent, "New group",
                                          f"Name of the new group of {len(photos)} photo"
                                          f"{'s' if len(photos) != 1 else ''}:")
            if name:
                self._ask(GroupRequest(GroupAction.CREATE, photo_ids=tuple(p.id for p in photos), name=name))

    # -- context menus ----------------------------------------------------------------------------------------
    def photo_menu(self, view: QAbstractItemView, index: QModelIndex) -> QMenu:
        """A photo's context menu: the search's actions, then the group edits for the selected photos."""
        menu = self.search.context_menu_for(index)
        photos = selected_records(view, index)
        if photos:
            menu.addSeparator()
            menu.addAction(ADD_TO_GROUP).triggered.connect(lambda: self.add_to_group(photos))
            menu.addAction(NEW_GROUP).triggered.connect(lambda: self.new_group(photos))
            if view is self.group_page.grid and self.group_page.group_id() is not None:
                name = self._name_of(self.group_page.group_id())
                remove = menu.addAction(f"Remove from “{name}”")
                remove.setShortcut("Delete")
                remove.triggered.connect(lambda: self.remove_from_open_group(photos))
        return menu

    def show_photo_menu(self, view: QAbstractItemView, index: QModelIndex, position: QPoint) -> None:
        menu = self.photo_menu(view, index)
        menu.exec(position)
        menu.deleteLater()

    def group_menu(self, index: QModelIndex) -> QMenu:
        menu = QMenu(self.dialog_parent)
        menu.setObjectName("groupMenu")
        group_id = self._chosen_group_id()
        menu.addAction("Open").triggered.connect(lambda: self.open_group(group_id))
        rename = menu.addAction("Rename…")
        rename.setShortcut("F2")
        rename.triggered.connect(lambda: self.rename(group_id))
        count = len(self.groups_page.selected_groups())
        merge = menu.addAction(f"Merge {count} groups…" if count > 1 else "Merge with…")
        merge.triggered.connect(self.merge_selected_groups)
        return menu

    def show_group_menu(self, index: QModelIndex, position: QPoint) -> None:
        menu = self.group_menu(index)
        menu.exec(position)
        menu.deleteLater()
